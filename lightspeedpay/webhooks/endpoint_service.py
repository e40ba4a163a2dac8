"""A merchant's webhook endpoints: create, change, delete, rotate the signing secret, disable.

Each endpoint has its own `whsec_…` secret, stored encrypted and shown once (on create and on rotate). The
endpoint marked `is_default` is the merchant's `clients.webhook_url`: created with the merchant, it signs with
the merchant's original webhook secret, and changes to it are mirrored into the clients row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.alerts import conditions
from lightspeedpay.alerts.service import alert_service
from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError, Conflict, NotFound
from lightspeedpay.identity.deps import require_recent_login
from lightspeedpay.kit import crypto, standard_webhooks
from lightspeedpay.kit.logging import log
from lightspeedpay.models import Client, WebhookEndpoint
from lightspeedpay.models.alert import AlertKind
from lightspeedpay.monitoring import audit
from lightspeedpay.webhooks import targets
from lightspeedpay.webhooks.repository import delivery_repo, endpoint_repo
from lightspeedpay.webhooks.schemas import EndpointCreate, EndpointOut, EndpointUpdate

MAX_ENDPOINTS = 20


class WebhookEndpointNotFound(NotFound):
    pass


class TooManyEndpoints(Conflict):
    status_code, code = 409, "TOO_MANY_ENDPOINTS"


class WebhookUrlNotAllowed(AppError):
    status_code, code = 422, "WEBHOOK_URL_NOT_ALLOWED"


def secret_hint(secret: str) -> str:
    return f"whsec_…{secret[-4:]}"


# what an audit row shows of an endpoint (its secret only as the masked hint)
_AUDITED = ("url", "description", "event_types", "enabled", "disabled_reason")


def _audited(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {f: getattr(endpoint, f) for f in _AUDITED}


@dataclass(frozen=True)
class SigningSecret:
    secret: str
    current: bool
    expires_at: datetime | None  # None: the current secret

    @property
    def hint(self) -> str:
        return secret_hint(self.secret)


class WebhookEndpointService:
    async def list_for_merchant(self, session: AsyncSession, merchant: MerchantAuth) -> list[WebhookEndpoint]:
        return await endpoint_repo.list_for_merchant(session, merchant.id)

    async def get(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        endpoint_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> WebhookEndpoint:
        endpoint = await endpoint_repo.get_for_merchant(
            session, merchant.id, endpoint_id, for_update=for_update
        )
        if endpoint is None:
            raise WebhookEndpointNotFound(
                "No webhook endpoint with this id belongs to your account.", field="endpoint_id"
            )
        return endpoint

    async def create(
        self, session: AsyncSession, merchant: MerchantAuth, body: EndpointCreate
    ) -> tuple[WebhookEndpoint, str]:
        self._check_target(body.url)
        if await endpoint_repo.count_for_merchant(session, merchant.id) >= MAX_ENDPOINTS:
            raise TooManyEndpoints(
                f"An account can have at most {MAX_ENDPOINTS} webhook endpoints; delete one "
                "you no longer use first."
            )
        secret = standard_webhooks.new_secret()
        endpoint = WebhookEndpoint(
            id=uuid.uuid4(),
            client_id=merchant.id,
            url=body.url,
            description=body.description,
            event_types=body.event_types,
            secret_enc=crypto.encrypt(secret),
            enabled=body.enabled,
            consecutive_failures=0,
            is_default=False,
            disabled_reason=None if body.enabled else "disabled by the merchant",
            disabled_at=None if body.enabled else datetime.now(UTC),
        )
        session.add(endpoint)
        await session.flush()
        self._audit(
            session,
            merchant,
            "webhook_endpoint.created",
            endpoint,
            after=audit.plain({**_audited(endpoint), "secret_hint": secret_hint(secret)}),
        )
        return endpoint, secret

    def _audit(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        action: str,
        endpoint: WebhookEndpoint,
        *,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        audit.record(
            session,
            actor=merchant.actor,
            action=action,
            client_id=merchant.id,
            target_type="webhook_endpoint",
            target_id=endpoint.id,
            before=before,
            after=after,
            details=details,
        )

    async def create_default(
        self, session: AsyncSession, client: Client, secret: str
    ) -> WebhookEndpoint | None:
        """The endpoint behind a new merchant's webhook_url, signing with the merchant's webhook secret."""
        if not client.webhook_url:
            return None
        endpoint = WebhookEndpoint(
            id=uuid.uuid4(),
            client_id=client.id,
            url=client.webhook_url,
            event_types=[],
            secret_enc=client.webhook_secret_enc or crypto.encrypt(secret),
            enabled=True,
            consecutive_failures=0,
            is_default=True,
        )
        session.add(endpoint)
        await session.flush()
        return endpoint

    async def update(
        self, session: AsyncSession, merchant: MerchantAuth, endpoint_id: uuid.UUID, body: EndpointUpdate
    ) -> WebhookEndpoint:
        endpoint = await self.get(session, merchant, endpoint_id, for_update=True)
        was = _audited(endpoint)
        fields = body.model_fields_set
        if "url" in fields and body.url is not None and body.url != endpoint.url:
            self._check_target(body.url)
            endpoint.url = body.url
            if endpoint.is_default:
                await endpoint_repo.mirror_to_client(session, endpoint.client_id, webhook_url=body.url)
        if "event_types" in fields and body.event_types is not None:
            endpoint.event_types = body.event_types
        if "description" in fields:
            endpoint.description = body.description
        if "enabled" in fields and body.enabled is not None and body.enabled != endpoint.enabled:
            if body.enabled:
                endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, None, None
                endpoint.consecutive_failures = 0
                await alert_service.resolve(
                    session,
                    conditions.webhook_endpoint_disabled_key(endpoint.id),
                    note="the merchant enabled the endpoint again",
                )
            else:
                await self.disable(session, endpoint, reason="disabled by the merchant", alert=False)
        await session.flush()
        before, after = audit.changed(was, _audited(endpoint))
        action = "webhook_endpoint.updated"
        if set(after) - {"disabled_reason"} == {"enabled"}:  # the on/off switch alone
            action = "webhook_endpoint.enabled" if after["enabled"] else "webhook_endpoint.disabled"
        self._audit(session, merchant, action, endpoint, before=before, after=after)
        return endpoint

    async def delete(self, session: AsyncSession, merchant: MerchantAuth, endpoint_id: uuid.UUID) -> None:
        """Soft: the row stays for its delivery log until retention purges that; the merchant no longer sees it."""
        endpoint = await self.get(session, merchant, endpoint_id, for_update=True)
        self._audit(
            session, merchant, "webhook_endpoint.deleted", endpoint, before=audit.plain(_audited(endpoint))
        )
        now = datetime.now(UTC)
        if endpoint.enabled:
            await self.disable(session, endpoint, reason="endpoint deleted", alert=False)
        endpoint.deleted_at = now
        await alert_service.resolve(
            session,
            conditions.webhook_endpoint_disabled_key(endpoint.id),
            note="the merchant deleted the endpoint",
        )
        if endpoint.is_default:
            endpoint.is_default = False
            await endpoint_repo.mirror_to_client(session, endpoint.client_id, webhook_url=None)
        await session.flush()

    async def rotate(
        self, session: AsyncSession, merchant: MerchantAuth, endpoint_id: uuid.UUID
    ) -> tuple[WebhookEndpoint, str]:
        """A new secret signs from now on; the one it replaces keeps signing too for the grace period, so a
        receiver can switch whenever it likes within it. A second rotation inside the grace period drops the
        oldest secret: at most two signatures are ever sent."""
        endpoint = await self.get(session, merchant, endpoint_id, for_update=True)
        old_hint = secret_hint(crypto.decrypt(endpoint.secret_enc))
        secret = standard_webhooks.new_secret()
        endpoint.previous_secret_enc = endpoint.secret_enc
        expires = datetime.now(UTC) + timedelta(seconds=get_settings().webhook_secret_grace_seconds)
        endpoint.previous_secret_expires_at = expires
        endpoint.secret_enc = crypto.encrypt(secret)
        if endpoint.is_default:
            await endpoint_repo.mirror_to_client(
                session, endpoint.client_id, webhook_secret_enc=endpoint.secret_enc
            )
        await session.flush()
        self._audit(
            session,
            merchant,
            "webhook_endpoint.secret_rotated",
            endpoint,
            before={"secret_hint": old_hint},
            after={"secret_hint": secret_hint(secret)},
            details={"previous_secret_expires_at": expires.isoformat()},
        )
        return endpoint, secret

    async def reveal_secrets(
        self, session: AsyncSession, merchant: MerchantAuth, endpoint_id: uuid.UUID
    ) -> tuple[WebhookEndpoint, list[SigningSecret]]:
        """The secrets the endpoint's deliveries are signed with now, in full: the current one, and during a
        rotation's grace period the previous one with its end. A person needs a recent login (an API credential
        with webhooks:write may ask too: it could rotate the secret anyway). Audited, by hint only."""
        require_recent_login(merchant.authenticated_at, is_person=merchant.user_id is not None)
        endpoint = await self.get(session, merchant, endpoint_id)
        now = datetime.now(UTC)
        shown = [SigningSecret(crypto.decrypt(endpoint.secret_enc), True, None)]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret_enc and expires and expires > now:
            shown.append(SigningSecret(crypto.decrypt(endpoint.previous_secret_enc), False, expires))
        self._audit(
            session,
            merchant,
            "webhook_endpoint.secret_revealed",
            endpoint,
            after={"secret_hints": [s.hint for s in shown]},
            details=audit.plain({"previous_secret_expires_at": shown[-1].expires_at})
            if len(shown) > 1
            else None,
        )
        return endpoint, shown

    async def disable(
        self,
        session: AsyncSession,
        endpoint: WebhookEndpoint,
        *,
        reason: str,
        alert: bool,
        exclude: uuid.UUID | None = None,
    ) -> None:
        """Stop delivering: no new deliveries, and pending ones end failed (they can be retried by hand once
        the endpoint is enabled again). Automatic disabling raises an alert for the operator."""
        endpoint.enabled = False
        endpoint.disabled_reason = reason
        endpoint.disabled_at = datetime.now(UTC)
        event_ids = await delivery_repo.fail_pending(
            session, endpoint.id, reason=f"endpoint disabled: {reason}", exclude=exclude
        )
        await delivery_repo.refresh_events(session, event_ids)
        if alert:
            # the platform's own decision (410 Gone, too many failures in a row): in the trail as well
            audit.record(
                session,
                actor="webhooks",
                action="webhook_endpoint.disabled",
                client_id=endpoint.client_id,
                target_type="webhook_endpoint",
                target_id=endpoint.id,
                before={"enabled": True},
                after={"enabled": False, "disabled_reason": reason},
                reason=reason,
            )
            await alert_service.raise_condition(
                session,
                AlertKind.WEBHOOK_ENDPOINT_DISABLED,
                conditions.webhook_endpoint_disabled(
                    endpoint.id,
                    client_id=endpoint.client_id,
                    url=endpoint.url,
                    reason=reason,
                    consecutive_failures=endpoint.consecutive_failures,
                ),
            )
            log.warning(
                "webhook_endpoint_disabled",
                endpoint_id=str(endpoint.id),
                client_id=str(endpoint.client_id),
                reason=reason,
            )

    def signing_secrets(self, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
        """The current secret first, then the previous one while its grace period lasts."""
        now = now or datetime.now(UTC)
        secrets = [crypto.decrypt(endpoint.secret_enc)]
        if (
            endpoint.previous_secret_enc
            and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > now
        ):
            secrets.append(crypto.decrypt(endpoint.previous_secret_enc))
        return secrets

    def out(self, endpoint: WebhookEndpoint) -> EndpointOut:
        now = datetime.now(UTC)
        expires = endpoint.previous_secret_expires_at
        return EndpointOut(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types or []),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            consecutive_failures=endpoint.consecutive_failures,
            is_default=endpoint.is_default,
            secret_hint=secret_hint(crypto.decrypt(endpoint.secret_enc)),
            previous_secret_expires_at=expires if expires and expires > now else None,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )

    def _check_target(self, url: str) -> None:
        if get_settings().webhook_allow_private_targets:
            return
        reason = targets.literal_refusal(url)
        if reason:
            raise WebhookUrlNotAllowed(f"url {reason}.", field="url")


endpoint_service = WebhookEndpointService()
