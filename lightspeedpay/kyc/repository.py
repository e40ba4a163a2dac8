"""Every query KYC makes: applications (scoped to their merchant), documents, verifications, requirements, and
the operator's review queue."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.pagination import newest_first
from lightspeedpay.models import (
    Client,
    KycApplication,
    KycDocument,
    KycRequirement,
    KycVerification,
    MerchantMembership,
    User,
)
from lightspeedpay.models.kyc_requirement import RequirementStatus


class KycRepository:
    async def client_for_update(self, session: AsyncSession, client_id: uuid.UUID) -> Client | None:
        """The merchant's row, locked: every change of KYC state takes this lock first, so two reviewers (or a
        reviewer and the merchant) cannot both move the state from the same place."""
        stmt = select(Client).where(Client.id == client_id).with_for_update()
        return (await session.execute(stmt)).scalar_one_or_none()

    async def client(self, session: AsyncSession, client_id: uuid.UUID) -> Client | None:
        return await session.get(Client, client_id)

    async def application(self, session: AsyncSession, client_id: uuid.UUID) -> KycApplication | None:
        stmt = select(KycApplication).where(KycApplication.client_id == client_id)
        return (await session.execute(stmt)).scalar_one_or_none()

    def add(self, session: AsyncSession, row: object) -> None:
        session.add(row)

    async def documents(self, session: AsyncSession, client_id: uuid.UUID) -> list[KycDocument]:
        stmt = (
            select(KycDocument)
            .where(KycDocument.client_id == client_id)
            .order_by(KycDocument.created_at.desc(), KycDocument.id.desc())
        )
        return list((await session.execute(stmt)).scalars())

    async def document(
        self, session: AsyncSession, client_id: uuid.UUID, document_id: uuid.UUID
    ) -> KycDocument | None:
        """A document of this merchant's: another merchant's id finds nothing."""
        stmt = select(KycDocument).where(KycDocument.id == document_id, KycDocument.client_id == client_id)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def verifications(self, session: AsyncSession, client_id: uuid.UUID) -> list[KycVerification]:
        stmt = (
            select(KycVerification)
            .where(KycVerification.client_id == client_id)
            .order_by(KycVerification.created_at.desc(), KycVerification.id.desc())
        )
        return list((await session.execute(stmt)).scalars())

    async def verification_for_update(
        self, session: AsyncSession, verification_id: uuid.UUID
    ) -> KycVerification | None:
        stmt = select(KycVerification).where(KycVerification.id == verification_id).with_for_update()
        return (await session.execute(stmt)).scalar_one_or_none()

    async def requirements(self, session: AsyncSession, client_id: uuid.UUID) -> list[KycRequirement]:
        stmt = (
            select(KycRequirement)
            .where(KycRequirement.client_id == client_id)
            .order_by(KycRequirement.created_at, KycRequirement.id)
        )
        return list((await session.execute(stmt)).scalars())

    async def requirement(
        self, session: AsyncSession, client_id: uuid.UUID, requirement_id: uuid.UUID
    ) -> KycRequirement | None:
        stmt = select(KycRequirement).where(
            KycRequirement.id == requirement_id, KycRequirement.client_id == client_id
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def pending_requirements(self, session: AsyncSession, client_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(
            KycRequirement.client_id == client_id, KycRequirement.status == RequirementStatus.PENDING
        )
        return int((await session.execute(stmt)).scalar_one())

    async def resolve_all(
        self, session: AsyncSession, client_id: uuid.UUID, *, by: str, now: datetime
    ) -> None:
        """Close what is still open when the review ends (approved or rejected)."""
        await session.execute(
            update(KycRequirement)
            .where(KycRequirement.client_id == client_id, KycRequirement.status == RequirementStatus.PENDING)
            .values(status=RequirementStatus.RESOLVED, resolved_by=by, resolved_at=now)
        )

    async def queue_page(
        self,
        session: AsyncSession,
        *,
        statuses: Collection[str] | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[KycApplication, Client]]:
        """Applications, newest first, optionally in some review states (limit + 1 rows: the extra one says there
        is a next page)."""
        stmt = select(KycApplication, Client).join(Client, Client.id == KycApplication.client_id)
        if statuses is not None:
            stmt = stmt.where(Client.kyc_status.in_(list(statuses)))
        stmt = newest_first(stmt, KycApplication, after=after, limit=limit + 1)
        return [(a, c) for a, c in (await session.execute(stmt)).all()]

    async def notice_recipients(self, session: AsyncSession, client_id: uuid.UUID) -> list[str]:
        """Who hears of the merchant's KYC: its owners and admins (active people), oldest member first."""
        stmt = (
            select(User.email)
            .join(MerchantMembership, MerchantMembership.user_id == User.id)
            .where(
                MerchantMembership.client_id == client_id,
                MerchantMembership.role.in_(("owner", "admin")),
                User.disabled_at.is_(None),
            )
            .order_by(MerchantMembership.created_at)
        )
        return list((await session.execute(stmt)).scalars())


kyc_repo = KycRepository()
