"""The queries authentication needs: the API credential behind a key id, its merchant and its secrets that still
verify (read here rather than through the merchants package, so that auth, which every domain's routes use,
depends on no domain), and the encryption-key rotation's scan of secret columns."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import ApiCredential, ApiCredentialSecret, Client


class PrincipalRepository:
    async def credential_by_key(
        self, session: AsyncSession, key_id: str
    ) -> tuple[ApiCredential, Client] | None:
        row = (
            await session.execute(
                select(ApiCredential, Client)
                .join(Client, Client.id == ApiCredential.client_id)
                .where(ApiCredential.key_id == key_id)
            )
        ).one_or_none()
        return (row[0], row[1]) if row else None

    async def key_id_of(self, session: AsyncSession, client_id: uuid.UUID, mode: str) -> str | None:
        return (
            await session.execute(
                select(ApiCredential.key_id).where(
                    ApiCredential.client_id == client_id, ApiCredential.mode == mode
                )
            )
        ).scalar_one_or_none()

    async def live_secrets(
        self, session: AsyncSession, credential_id: uuid.UUID, now: datetime
    ) -> list[ApiCredentialSecret]:
        """The secrets that verify requests now: the current one (no end) first, then those in their grace
        period, newest first."""
        stmt = (
            select(ApiCredentialSecret)
            .where(
                ApiCredentialSecret.credential_id == credential_id,
                or_(ApiCredentialSecret.expires_at.is_(None), ApiCredentialSecret.expires_at > now),
            )
            .order_by(
                ApiCredentialSecret.expires_at.desc().nulls_first(), ApiCredentialSecret.created_at.desc()
            )
        )
        return list((await session.execute(stmt)).scalars())


principal_repo = PrincipalRepository()


@dataclass(frozen=True)
class SecretColumns:
    """A table holding encrypted secrets, and which of its columns they are."""

    model: Any
    columns: tuple[str, ...]

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


class SecretRepository:
    """The rotation's queries: rows with any secret column not under the given key id."""

    def _stale(self, target: SecretColumns, primary: str) -> Any:
        return or_(*(func.split_part(getattr(target.model, c), ":", 1) != primary for c in target.columns))

    async def count_stale(self, session: AsyncSession, target: SecretColumns, primary: str) -> int:
        stmt = select(func.count()).select_from(target.model).where(self._stale(target, primary))
        return int((await session.execute(stmt)).scalar_one())

    async def lock_stale_batch(
        self,
        session: AsyncSession,
        target: SecretColumns,
        primary: str,
        *,
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Any]:
        """The next rows by id after `after`, locked; keyset order means each row is visited once per run."""
        model = target.model
        stmt = select(model).where(self._stale(target, primary))
        if after is not None:
            stmt = stmt.where(model.id > after)
        stmt = (
            stmt.order_by(model.id).limit(limit).with_for_update().execution_options(populate_existing=True)
        )
        return (await session.execute(stmt)).scalars().all()


secret_repo = SecretRepository()
