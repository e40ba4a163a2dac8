"""Managing the gateway pool (add, change, retire, measure, test) and opening credentials for the adapters."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lightspeedpay.db import engine
from lightspeedpay.errors import Conflict, NotFound, ValidationFailed
from lightspeedpay.gateways.adapters import get_adapter, providers
from lightspeedpay.gateways.adapters.base import GatewayAccount, PspError
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.schemas import (
    BreakerState,
    ConnectivityResult,
    GatewayCreate,
    GatewayHealth,
    GatewayUpdate,
    PriorityItem,
    VolumeFigures,
    WindowFigures,
)
from lightspeedpay.jobs import broadcast
from lightspeedpay.kit import crypto
from lightspeedpay.models import GatewayAttempt, PaymentGateway
from lightspeedpay.monitoring import audit

IST = ZoneInfo("Asia/Kolkata")
_UNIQUE_VIOLATION = "23505"


class GatewayNotFound(NotFound):
    status_code, code = 404, "GATEWAY_NOT_FOUND"


class GatewayNameTaken(Conflict):
    status_code, code = 409, "GATEWAY_NAME_TAKEN"

    def __init__(self, name: str) -> None:
        super().__init__(f"A gateway named {name!r} already exists; choose another name.", field="name")


class UnknownProvider(ValidationFailed):
    status_code, code = 422, "UNKNOWN_PROVIDER"


class InvalidCredentials(ValidationFailed):
    status_code, code = 422, "INVALID_CREDENTIALS"


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _is_unique_violation(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == _UNIQUE_VIOLATION


# what an audit row shows of a gateway: never its credentials, only their masked hint
_AUDITED = (
    "name",
    "provider",
    "base_url",
    "credentials_hint",
    "monthly_limit",
    "priority",
    "is_active",
    "temp_failed",
)


def _audited(gateway: PaymentGateway) -> dict[str, object]:
    return {f: getattr(gateway, f) for f in _AUDITED}


def volume_month(at: datetime | None = None) -> date:
    """Monthly limits run by calendar month in India."""
    local = (at or datetime.now(UTC)).astimezone(IST)
    return local.date().replace(day=1)


_LABELS_SECONDS = 60.0


class GatewayService:
    def __init__(self) -> None:
        self._accounts: dict[tuple[uuid.UUID, str, str, str], GatewayAccount] = {}
        self._labels: dict[uuid.UUID, tuple[str, str]] = {}
        self._labels_until = 0.0

    async def metric_labels(
        self, conn: AsyncConnection | AsyncSession | None, gateway_id: uuid.UUID
    ) -> tuple[str, str]:
        """(name, provider) of a gateway for the metrics, from a per-process copy read again every minute (a
        renamed gateway's figures move to its new name) or when it does not know the gateway yet; read on a
        connection of its own when given none."""
        now = time.monotonic()
        if gateway_id not in self._labels or now > self._labels_until:
            if conn is None:
                async with engine().connect() as own:
                    self._labels = await gateway_repo.labels(own)
            else:
                self._labels = await gateway_repo.labels(conn)
            self._labels_until = now + _LABELS_SECONDS
        return self._labels.get(gateway_id, (str(gateway_id), "unknown"))

    async def add(
        self,
        session: AsyncSession,
        *,
        name: str,
        provider: str,
        base_url: str,
        credentials: dict[str, str],
        monthly_limit: int = 100_000_000,
        priority: int = 1,
        gateway_id: uuid.UUID | None = None,
        actor: str | None = None,
    ) -> PaymentGateway:
        """`actor`: who adds it, for the audit log (the CLI); the admin API's `create` audits on its own."""
        adapter = get_adapter(provider)
        missing = [f for f in adapter.credential_fields if not credentials.get(f)]
        if missing:
            raise ValueError(f"{provider} gateways need credentials: {', '.join(missing)}")
        gateway = PaymentGateway(
            id=gateway_id or uuid.uuid4(),
            name=name,
            provider=provider,
            base_url=base_url,
            credentials_enc=crypto.encrypt(json.dumps(credentials)),
            credentials_hint=self.credentials_hint(provider, credentials),
            monthly_limit=monthly_limit,
            current_volume=0,
            volume_month=volume_month(),
            priority=priority,
            is_active=True,
            temp_failed=False,
        )
        session.add(gateway)
        await session.flush()
        if actor is not None:
            self._audit_created(session, gateway, actor)
        return gateway

    @staticmethod
    def _audit_created(session: AsyncSession, gateway: PaymentGateway, actor: str) -> None:
        audit.record(
            session,
            actor=actor,
            action="gateway.created",
            target_type="gateway",
            target_id=gateway.id,
            after=audit.plain(_audited(gateway)),
        )

    def credentials_hint(self, provider: str, credentials: Mapping[str, str]) -> str:
        """The provider's first credential field (its public key id), masked."""
        fields = get_adapter(provider).credential_fields
        return crypto.mask(credentials.get(fields[0], "")) if fields else ""

    def credential_fields(self, provider: str) -> tuple[str, ...]:
        """The credential fields a provider's gateways need, in the adapter's order ((): an unknown provider)."""
        return get_adapter(provider).credential_fields if provider in providers() else ()

    def credential_masks(self, gateway: PaymentGateway) -> dict[str, str]:
        """Each stored credential field as a person may see it: its last four characters at most ("••••1234"),
        never the secret; a short value shows nothing of itself."""
        stored: dict[str, str] = json.loads(crypto.decrypt(gateway.credentials_enc))
        return {
            name: "••••" + (value[-4:] if len(value) >= 12 else "")
            for name in self.credential_fields(gateway.provider)
            if (value := stored.get(name, ""))
        }

    def credentials_with(self, gateway: PaymentGateway, given: Mapping[str, str]) -> dict[str, str]:
        """The stored credential set with the fields given (non-empty) replaced: a form that leaves a secret
        empty keeps it. `update` then checks the whole set as usual."""
        stored: dict[str, str] = json.loads(crypto.decrypt(gateway.credentials_enc))
        return {**stored, **{k: v for k, v in given.items() if v.strip()}}

    def volume_used(self, gateway: PaymentGateway) -> int:
        """Paise reserved this month; a stored volume from an earlier month counts as nothing."""
        return gateway.current_volume if gateway.volume_month == volume_month() else 0

    def check_credentials(self, provider: str, credentials: Mapping[str, str]) -> None:
        if provider not in providers():
            raise UnknownProvider(f"provider must be one of: {', '.join(providers())}.", field="provider")
        missing = [f for f in get_adapter(provider).credential_fields if not credentials.get(f, "").strip()]
        if missing:
            raise InvalidCredentials(
                f"{provider} gateways need credentials: {', '.join(missing)}.",
                field=f"credentials.{missing[0]}",
            )

    async def all(self, session: AsyncSession) -> list[PaymentGateway]:
        return await gateway_repo.all(session)

    async def find(self, session: AsyncSession, gateway_id: uuid.UUID) -> PaymentGateway | None:
        return await gateway_repo.get(session, gateway_id)

    async def get(
        self, session: AsyncSession, gateway_id: uuid.UUID, *, lock: bool = False
    ) -> PaymentGateway:
        gateway = await (
            gateway_repo.lock(session, gateway_id) if lock else gateway_repo.get(session, gateway_id)
        )
        if gateway is None:
            raise GatewayNotFound("No gateway with this id.", field="gateway_id")
        return gateway

    async def create(self, session: AsyncSession, body: GatewayCreate, *, actor: str) -> PaymentGateway:
        self.check_credentials(body.provider, body.credentials)
        if await gateway_repo.by_name(session, body.name) is not None:
            raise GatewayNameTaken(body.name)
        try:
            gateway = await self.add(
                session,
                name=body.name,
                provider=body.provider,
                base_url=body.base_url,
                credentials=body.credentials,
                monthly_limit=body.monthly_limit,
                priority=body.priority,
            )
            gateway.is_active = body.is_active
            await session.flush()
        except IntegrityError as exc:  # a concurrent create took the name between the check and the insert
            if _is_unique_violation(exc):
                raise GatewayNameTaken(body.name) from None
            raise
        await session.refresh(gateway)
        self._audit_created(session, gateway, actor)
        self.announce(session, gateway, "created")
        return gateway

    async def update(
        self, session: AsyncSession, gateway_id: uuid.UUID, body: GatewayUpdate, *, actor: str
    ) -> PaymentGateway:
        gateway = await self.get(session, gateway_id, lock=True)
        was = _audited(gateway)
        changes = body.changes()
        name = changes.pop("name", gateway.name)
        if name != gateway.name:
            if await gateway_repo.by_name(session, name) is not None:
                raise GatewayNameTaken(name)
            gateway.name = name
        if "credentials" in changes:
            credentials = changes.pop("credentials")
            self.check_credentials(gateway.provider, credentials)
            gateway.credentials_enc = crypto.encrypt(json.dumps(credentials))
            gateway.credentials_hint = self.credentials_hint(gateway.provider, credentials)
        if "temp_failed" in changes:
            if not changes.pop("temp_failed"):
                # an operator clearing the breaker starts the failure streak from zero
                gateway.temp_failed, gateway.consecutive_failures, gateway.temp_failed_at = False, 0, None
            elif not gateway.temp_failed:
                gateway.temp_failed, gateway.temp_failed_at = True, datetime.now(UTC)
        for field, value in changes.items():  # base_url, monthly_limit, priority, is_active
            setattr(gateway, field, value)
        try:
            await session.flush()
        except IntegrityError as exc:
            if _is_unique_violation(exc):
                raise GatewayNameTaken(name) from None
            raise
        await session.refresh(gateway)
        before, after = audit.changed(was, _audited(gateway))
        if "credentials" in body.model_fields_set:
            # new credentials can keep the same masked hint; say they were replaced all the same
            before["credentials"], after["credentials"] = "(previous set)", "(replaced)"
        # a change of is_active alone is the gateway's on/off switch
        action = "gateway.updated"
        if set(after) == {"is_active"}:
            action = "gateway.enabled" if after["is_active"] else "gateway.disabled"
        audit.record(
            session,
            actor=actor,
            action=action,
            target_type="gateway",
            target_id=gateway.id,
            before=before,
            after=after,
        )
        self.announce(session, gateway, "updated")
        return gateway

    async def retire(
        self, session: AsyncSession, gateway_id: uuid.UUID, *, actor: str
    ) -> PaymentGateway | None:
        """Delete a gateway nothing refers to; one with history (payments, events, alerts) is only
        deactivated and returned, so the records that name it stay whole."""
        gateway = await self.get(session, gateway_id, lock=True)
        was = audit.plain(_audited(gateway))
        if not await gateway_repo.has_history(session, gateway.id):
            try:
                async with session.begin_nested():
                    await gateway_repo.delete(session, gateway.id)
                session.expunge(gateway)
                audit.record(
                    session,
                    actor=actor,
                    action="gateway.deleted",
                    target_type="gateway",
                    target_id=gateway_id,
                    before=was,
                )
                broadcast.publish(
                    session,
                    broadcast.GATEWAYS,
                    "gateway",
                    {"id": gateway.id, "change": "deleted"},
                    key=str(gateway.id),
                )
                return None
            except IntegrityError:  # a table that refers to gateways and has_history does not know yet
                pass
        gateway.is_active = False
        await session.flush()
        await session.refresh(gateway)
        audit.record(
            session,
            actor=actor,
            action="gateway.deactivated",
            target_type="gateway",
            target_id=gateway.id,
            before={"is_active": was["is_active"]},
            after={"is_active": False},
            details={"why": "records refer to the gateway, so it was deactivated instead of deleted"},
        )
        self.announce(session, gateway, "deactivated")
        return gateway

    async def set_priorities(
        self, session: AsyncSession, items: list[PriorityItem], *, actor: str
    ) -> list[PaymentGateway]:
        """All the priorities change, or (an unknown or repeated id) none do."""
        if not items:
            raise ValidationFailed('Send at least one {"id", "priority"} item.')
        seen: set[uuid.UUID] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                raise ValidationFailed(f"{item.id} appears more than once.", field=f"{i}.id")
            seen.add(item.id)
        locked = {g.id: g for g in await gateway_repo.lock_many(session, [item.id for item in items])}
        for i, item in enumerate(items):
            if item.id not in locked:
                raise GatewayNotFound(
                    f"No gateway with id {item.id}; no priority was changed.", field=f"{i}.id"
                )
        for item in items:
            audit.record(
                session,
                actor=actor,
                action="gateway.priority_set",
                target_type="gateway",
                target_id=item.id,
                before={"priority": locked[item.id].priority},
                after={"priority": item.priority},
                details={"batch": len(items)},
            )
            locked[item.id].priority = item.priority
            self.announce(session, locked[item.id], "priority")
        await session.flush()
        return await gateway_repo.all(session, fresh=True)

    def announce(self, session: AsyncSession, gateway: PaymentGateway, change: str) -> None:
        """Tell the gateway-health stream, once the session commits. The data is the part of `GatewayHealth`
        that a change can touch (the window and volume figures come with the stream's snapshot)."""
        broadcast.publish(
            session,
            broadcast.GATEWAYS,
            "gateway",
            {
                "id": gateway.id,
                "change": change,
                "name": gateway.name,
                "provider": gateway.provider,
                "is_active": gateway.is_active,
                "priority": gateway.priority,
                "success_rate": gateway.success_rate,
                "breaker": {
                    "temp_failed": gateway.temp_failed,
                    "consecutive_failures": gateway.consecutive_failures,
                    "temp_failed_at": gateway.temp_failed_at,
                },
            },
            key=str(gateway.id),
        )

    async def health(self, session: AsyncSession, *, window_minutes: int) -> list[GatewayHealth]:
        gateways = await gateway_repo.all(session)
        figures = await gateway_repo.attempt_figures(session, window_minutes=window_minutes)
        out = []
        for g in gateways:
            f = figures.get(g.id)
            attempts = f.attempts if f else 0
            used = self.volume_used(g)
            out.append(
                GatewayHealth(
                    id=g.id,
                    name=g.name,
                    provider=g.provider,
                    is_active=g.is_active,
                    priority=g.priority,
                    success_rate=g.success_rate,
                    last_used_at=g.last_used_at,
                    window=WindowFigures(
                        minutes=window_minutes,
                        attempts=attempts,
                        created=f.created if f else 0,
                        declines=f.declines if f else 0,
                        technical_errors=f.technical_errors if f else 0,
                        technical_error_rate=_percent(f.technical_errors, attempts)
                        if f and attempts
                        else None,
                        latency_p50_ms=round(f.p50, 2) if f and f.p50 is not None else None,
                        latency_p95_ms=round(f.p95, 2) if f and f.p95 is not None else None,
                    ),
                    volume=VolumeFigures(
                        used=used, monthly_limit=g.monthly_limit, percent=_percent(used, g.monthly_limit)
                    ),
                    breaker=BreakerState(
                        temp_failed=g.temp_failed,
                        consecutive_failures=g.consecutive_failures,
                        temp_failed_at=g.temp_failed_at,
                    ),
                )
            )
        return out

    async def check_connectivity(self, session: AsyncSession, gateway_id: uuid.UUID) -> ConnectivityResult:
        """One harmless call to the PSP with the stored credentials; the PSP saying no is an answer, not an error."""
        gateway = await self.get(session, gateway_id)
        account = self.account(gateway)
        started = time.perf_counter()
        try:
            await get_adapter(gateway.provider).check_connectivity(account)
        except PspError as exc:
            return ConnectivityResult(
                ok=False, latency_ms=self._elapsed_ms(started), error_code=exc.code, message=exc.message
            )
        except httpx.InvalidURL as exc:
            return ConnectivityResult(
                ok=False,
                latency_ms=self._elapsed_ms(started),
                error_code="INVALID_BASE_URL",
                message=str(exc),
            )
        return ConnectivityResult(ok=True, latency_ms=self._elapsed_ms(started))

    @staticmethod
    def _elapsed_ms(started: float) -> int:
        return int((time.perf_counter() - started) * 1000)

    def account(self, gateway: PaymentGateway) -> GatewayAccount:
        # keyed by everything the account carries, so an admin change reaches every process's next call
        key = (gateway.id, gateway.credentials_enc, gateway.base_url, gateway.name)
        if key not in self._accounts:
            self._accounts[key] = GatewayAccount(
                gateway_id=gateway.id,
                name=gateway.name,
                provider=gateway.provider,
                base_url=gateway.base_url,
                credentials=json.loads(crypto.decrypt(gateway.credentials_enc)),
            )
        return self._accounts[key]

    async def attempts_of(self, session: AsyncSession, transaction_id: uuid.UUID) -> list[GatewayAttempt]:
        """A payment's gateway attempts, in order (its page's timeline)."""
        return await gateway_repo.attempts_of(session, transaction_id)


gateway_service = GatewayService()
