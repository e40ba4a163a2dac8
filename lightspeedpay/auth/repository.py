"""The queries authentication needs: the merchant behind a client key and its still-valid previous salts (read
here rather than through the merchants package, so that auth, which every domain's routes use, depends on no
domain), and the encryption-key rotation's scan of secret columns."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import Client, ClientPreviousSalt


class PrincipalRepository:
    async def client_by_key(self, session: AsyncSession, client_key: str) -> Client | None:
        return (
            await session.execute(select(Client).where(Client.client_key == client_key))
        ).scalar_one_or_none()

    async def previous_salts(
        self, session: AsyncSession, client_id: uuid.UUID, now: datetime
    ) -> list[ClientPreviousSalt]:
        """Salts rotated away from that still verify requests (newest first)."""
        stmt = (
            select(ClientPreviousSalt)
            .where(ClientPreviousSalt.client_id == client_id, ClientPreviousSalt.expires_at > now)
            .order_by(ClientPreviousSalt.retired_at.desc())
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
