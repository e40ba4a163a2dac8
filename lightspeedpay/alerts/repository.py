"""Every query on alerts, and the reads the alert rules make of the rest of the platform."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.models import (
    Alert,
    Client,
    JobIntent,
    PaymentGateway,
    Transaction,
    Wallet,
    WebhookEndpoint,
)
from lightspeedpay.models.alert import AlertStatus
from lightspeedpay.models.client import ClientStatus
from lightspeedpay.models.job_intent import JobIntentStatus
from lightspeedpay.models.transaction import TransactionStatus

# the statuses in which a payment has its outcome: failed, or the payer paid (whatever came after)
DECIDED = (
    TransactionStatus.FAILED,
    TransactionStatus.AUTHORIZED,
    TransactionStatus.PAID,
    TransactionStatus.PARTIALLY_REFUNDED,
    TransactionStatus.REFUNDED,
)
UNFINISHED = (TransactionStatus.CREATED, TransactionStatus.PENDING)
_UNRESOLVED = text("status <> 'resolved'")  # the partial unique index's predicate, as ON CONFLICT names it


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = None  # open, acknowledged, resolved, or "unresolved" (open or acknowledged)
    severity: str | None = None
    kind: str | None = None
    gateway_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None


class AlertRepository:
    async def upsert_unresolved(self, session: AsyncSession, values: dict[str, Any]) -> Alert:
        """Open the condition's alert, or, when one is open (or acknowledged) already, count it seen again with
        the latest message and details. One statement: two raisers at once make one row."""
        stmt = insert(Alert).values(**values)
        upsert = stmt.on_conflict_do_update(
            index_elements=[Alert.dedup_key],
            index_where=_UNRESOLVED,
            set_={
                "last_seen_at": func.now(),
                "occurrences": Alert.occurrences + 1,
                "message": stmt.excluded.message,
                "details": stmt.excluded.details,
                "updated_at": func.now(),
            },
        ).returning(Alert)
        return (await session.scalars(upsert, execution_options={"populate_existing": True})).one()

    async def resolve(
        self,
        session: AsyncSession,
        *,
        dedup_key: str,
        by: str,
        note: str | None,
        alert_id: uuid.UUID | None = None,
        last_seen_at: datetime | None = None,
    ) -> Alert | None:
        """Resolve the condition's unresolved alert; None when there is none. With `alert_id` and `last_seen_at`,
        only that alert and only if nobody raised it again since it was read."""
        conditions = [Alert.dedup_key == dedup_key, Alert.status != AlertStatus.RESOLVED]
        if alert_id is not None:
            conditions.append(Alert.id == alert_id)
        if last_seen_at is not None:
            conditions.append(Alert.last_seen_at == last_seen_at)
        stmt = (
            update(Alert)
            .where(*conditions)
            .values(
                status=AlertStatus.RESOLVED,
                resolved_at=func.now(),
                resolved_by=by,
                resolved_note=note,
                updated_at=func.now(),
            )
            .returning(Alert)
            .execution_options(synchronize_session=False)
        )
        return (await session.scalars(stmt, execution_options={"populate_existing": True})).one_or_none()

    async def unresolved_of_kind(self, session: AsyncSession, kind: str) -> list[Alert]:
        stmt = select(Alert).where(Alert.kind == kind, Alert.status != AlertStatus.RESOLVED)
        return list((await session.execute(stmt)).scalars())

    async def get(self, session: AsyncSession, alert_id: uuid.UUID) -> Alert | None:
        return await session.get(Alert, alert_id)

    async def lock(self, session: AsyncSession, alert_id: uuid.UUID) -> Alert | None:
        return await session.get(Alert, alert_id, with_for_update=True, populate_existing=True)

    async def page(
        self,
        session: AsyncSession,
        flt: AlertFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Alert]:
        """Newest opened first, keyset over (opened_at, id)."""
        stmt = select(Alert)
        if flt.status == "unresolved":
            stmt = stmt.where(Alert.status != AlertStatus.RESOLVED)
        elif flt.status:
            stmt = stmt.where(Alert.status == flt.status)
        if flt.severity:
            stmt = stmt.where(Alert.severity == flt.severity)
        if flt.kind:
            stmt = stmt.where(Alert.kind == flt.kind)
        if flt.gateway_id:
            stmt = stmt.where(Alert.gateway_id == flt.gateway_id)
        if flt.client_id:
            stmt = stmt.where(Alert.client_id == flt.client_id)
        if flt.opened_from:
            stmt = stmt.where(Alert.opened_at >= flt.opened_from)
        if flt.opened_to:
            stmt = stmt.where(Alert.opened_at <= flt.opened_to)
        if after is not None:
            opened, row_id = after
            stmt = stmt.where(
                or_(Alert.opened_at < opened, and_(Alert.opened_at == opened, Alert.id < row_id))
            )
        stmt = stmt.order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
        return list((await session.execute(stmt)).scalars())

    async def names(
        self, session: AsyncSession, *, gateway_ids: set[uuid.UUID], client_ids: set[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
        """The names of the gateways and merchants a page of alerts names (by primary key)."""
        gateways: dict[uuid.UUID, str] = {}
        merchants: dict[uuid.UUID, str] = {}
        if gateway_ids:
            rows = await session.execute(
                select(PaymentGateway.id, PaymentGateway.name).where(PaymentGateway.id.in_(gateway_ids))
            )
            gateways = {row[0]: row[1] for row in rows}
        if client_ids:
            rows = await session.execute(
                select(Client.id, Client.company_name).where(Client.id.in_(client_ids))
            )
            merchants = {row[0]: row[1] for row in rows}
        return gateways, merchants

    # ---- what the rules read

    async def payment_outcomes(self, session: AsyncSession, *, since: datetime) -> list[Any]:
        """Per gateway, the payments created since `since` that have their outcome: (gateway_id, name, decided,
        failed)."""
        failed = func.count().filter(Transaction.status == TransactionStatus.FAILED)
        stmt = (
            select(
                Transaction.gateway_id,
                PaymentGateway.name,
                func.count().label("decided"),
                failed.label("failed"),
            )
            .join(PaymentGateway, PaymentGateway.id == Transaction.gateway_id)
            .where(Transaction.created_at >= since, Transaction.status.in_(DECIDED))
            .group_by(Transaction.gateway_id, PaymentGateway.name)
        )
        return list((await session.execute(stmt)).all())

    async def unfinished_before(self, session: AsyncSession, *, before: datetime) -> list[Any]:
        """Per gateway, the payments still created or pending that were created before `before`: (gateway_id,
        name, count, oldest)."""
        stmt = (
            select(
                Transaction.gateway_id,
                PaymentGateway.name,
                func.count().label("count"),
                func.min(Transaction.created_at).label("oldest"),
            )
            .join(PaymentGateway, PaymentGateway.id == Transaction.gateway_id)
            .where(Transaction.status.in_(UNFINISHED), Transaction.created_at < before)
            .group_by(Transaction.gateway_id, PaymentGateway.name)
            .order_by(func.count().desc())
        )
        return list((await session.execute(stmt)).all())

    async def tripped_gateways(self, session: AsyncSession) -> list[PaymentGateway]:
        stmt = (
            select(PaymentGateway).where(PaymentGateway.temp_failed.is_(True)).order_by(PaymentGateway.name)
        )
        return list((await session.execute(stmt)).scalars())

    async def failed_intents(self, session: AsyncSession) -> list[Any]:
        """Per job name, the intents that failed for good: (name, queue, count, last_failed_at, last_error)."""
        latest = (
            select(JobIntent.name, JobIntent.queue, JobIntent.last_error, JobIntent.updated_at)
            .where(JobIntent.status == JobIntentStatus.FAILED)
            .distinct(JobIntent.name)
            .order_by(JobIntent.name, JobIntent.updated_at.desc())
            .subquery()
        )
        counts = (
            select(JobIntent.name, func.count().label("count"))
            .where(JobIntent.status == JobIntentStatus.FAILED)
            .group_by(JobIntent.name)
            .subquery()
        )
        stmt = (
            select(
                latest.c.name,
                latest.c.queue,
                counts.c.count,
                latest.c.updated_at.label("last_failed_at"),
                latest.c.last_error,
            )
            .join(counts, counts.c.name == latest.c.name)
            .order_by(latest.c.name)
        )
        return list((await session.execute(stmt)).all())

    async def still_disabled_endpoints(self, session: AsyncSession, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Of these webhook endpoints, the ones still disabled and not deleted."""
        if not ids:
            return set()
        stmt = select(WebhookEndpoint.id).where(
            WebhookEndpoint.id.in_(ids),
            WebhookEndpoint.enabled.is_(False),
            WebhookEndpoint.deleted_at.is_(None),
        )
        return set((await session.execute(stmt)).scalars())

    async def suspended_merchants(self, session: AsyncSession) -> list[Any]:
        """(id, company_name, suspension_reason, balance_due, suspend_threshold) of every suspended merchant."""
        stmt = (
            select(
                Client.id,
                Client.company_name,
                Client.suspension_reason,
                func.coalesce(Wallet.balance_due, 0).label("balance_due"),
                Client.suspend_threshold,
            )
            .outerjoin(Wallet, Wallet.client_id == Client.id)
            .where(Client.status == ClientStatus.SUSPENDED)
            .order_by(Client.company_name)
        )
        return list((await session.execute(stmt)).all())


alert_repo = AlertRepository()
