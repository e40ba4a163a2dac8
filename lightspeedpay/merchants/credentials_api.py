"""The merchant's API credentials (seed 001): both modes masked, regeneration with a grace period (the new
secret shown once), a current secret revealed once to a person who just confirmed their password, and an IP
allowlist per credential."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from lightspeedpay.errors import LiveModeNotActivated, ValidationFailed
from lightspeedpay.identity.deps import (
    CurrentMerchant,
    EmailNotVerified,
    ReauthenticationRequired,
    merchant_requires,
    require_recent_login,
    require_verified_email,
)
from lightspeedpay.kit.responses import json_response
from lightspeedpay.merchants.credentials import (
    NoSecretYet,
    SecretAlreadyRevealed,
    TooManySecrets,
    credential_service,
)
from lightspeedpay.merchants.schemas import (
    CredentialList,
    CredentialOut,
    IpAllowlistUpdate,
    RegeneratedOut,
    RegenerateRequest,
    RevealedOut,
    SecretOut,
)
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import ApiCredential, ApiCredentialSecret
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import KycStatus
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1/merchant/credentials", tags=["credentials"])


def _out(credential: ApiCredential, secrets: list[ApiCredentialSecret], kyc_status: str) -> CredentialOut:
    return CredentialOut(
        mode=credential.mode,
        key_id=credential.key_id,
        secrets=[
            SecretOut(
                masked=f"…{s.last4}" if s.last4 else "…(made before keys were listed)",
                created_at=s.created_at,
                expires_at=s.expires_at,
                current=s.expires_at is None,
                revealed_at=s.revealed_at,
                revealable=s.expires_at is None and s.revealed_at is None,
            )
            for s in secrets
        ],
        ip_allowlist=list(credential.ip_allowlist),
        usable=bool(secrets) and (credential.mode == Mode.TEST or kyc_status == KycStatus.ACTIVATED),
        created_at=credential.created_at,
    )


@router.get(
    "",
    response_model=CredentialList,
    summary="Your test and live API keys, secrets masked",
    dependencies=[merchant_requires("credentials:read")],
)
async def list_credentials(merchant: CurrentMerchant, session: ReadSession) -> CredentialList:
    client, _ = await merchant_service.account(session, merchant.id)
    listing = await credential_service.listing(session, merchant.id)
    return CredentialList(
        kyc_status=client.kyc_status,
        items=[_out(c, secrets, client.kyc_status) for c, secrets in listing],
    )


@router.post(
    "/regenerate",
    response_model=RegeneratedOut,
    status_code=201,
    summary="A new secret for your test or live key (shown once); the old one works for the grace period",
    dependencies=[merchant_requires("credentials:write")],
    responses={**TooManySecrets.openapi(), **LiveModeNotActivated.openapi()},
)
async def regenerate(
    body: RegenerateRequest, merchant: CurrentMerchant, session: WriteSession
) -> RegeneratedOut:
    require_recent_login(merchant.authenticated_at, is_person=merchant.user_id is not None)
    require_verified_email(merchant)
    done = await credential_service.regenerate(
        session, merchant.id, body.mode, grace_seconds=body.grace_period_seconds, actor=merchant.actor
    )
    return RegeneratedOut(
        mode=done.credential.mode,
        key_id=done.credential.key_id,
        key_secret=done.secret,
        created_at=done.created_at,
        previous_secret_expires_at=done.previous_expires_at,
    )


@router.post(
    "/{mode}/reveal",
    response_model=RevealedOut,
    summary="Show the current secret of your test or live key in full, once (a person who confirmed their "
    "password in the last minutes)",
    dependencies=[merchant_requires("credentials:write")],
    responses={
        **SecretAlreadyRevealed.openapi(),
        **NoSecretYet.openapi(),
        403: {
            "description": f"{ReauthenticationRequired.code} (confirm your password: POST "
            f"/api/v1/auth/reauthenticate), {EmailNotVerified.code}, {LiveModeNotActivated.code}, or "
            "FORBIDDEN (an API credential, or a role without credentials:write)"
        },
    },
)
async def reveal(mode: Literal["test", "live"], merchant: CurrentMerchant, session: WriteSession) -> Response:
    shown = await credential_service.reveal(session, merchant, mode)
    body = RevealedOut(
        mode=shown.credential.mode,
        key_id=shown.credential.key_id,
        key_secret=shown.secret,
        created_at=shown.created_at,
        revealed_at=shown.revealed_at,
    )
    # the secret is in this one response only: keep it out of every cache
    return json_response(body.model_dump(mode="json"), headers={"cache-control": "no-store"})


@router.put(
    "/{mode}/ip-allowlist",
    response_model=CredentialOut,
    summary="Accept requests with this key only from these IP addresses or networks (empty: anywhere)",
    dependencies=[merchant_requires("credentials:write")],
    responses=ValidationFailed.openapi(),
)
async def set_ip_allowlist(
    mode: Literal["test", "live"], body: IpAllowlistUpdate, merchant: CurrentMerchant, session: WriteSession
) -> CredentialOut:
    require_recent_login(merchant.authenticated_at, is_person=merchant.user_id is not None)
    credential = await credential_service.set_ip_allowlist(
        session, merchant.id, mode, body.cidrs, actor=merchant.actor
    )
    client, _ = await merchant_service.account(session, merchant.id)
    listing = {c.id: secrets for c, secrets in await credential_service.listing(session, merchant.id)}
    return _out(credential, listing.get(credential.id, []), client.kyc_status)


__all__ = ["router"]
