"""Merchants in the operator's console: the list (search by name, email or id), and a merchant's page with its
settings edited in place, wallet and dues, suspension, team and API credentials (masked).

Every action calls the service its JSON admin API calls: settings through `merchant_service.update_settings`
(PATCH /api/v1/admin/merchants/{id}), suspend and reinstate through the KYC service (and its `kyc:write`)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.dashboard import i18n, web
from lightspeedpay.dashboard.forms import validated
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.kyc.schemas import SuspendBody
from lightspeedpay.kyc.service import KYC_SUSPENSION, kyc_service
from lightspeedpay.ledger.admin_api import merchant_uuid
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.merchants.credentials import credential_service
from lightspeedpay.merchants.schemas import MerchantSettingsUpdate
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import KycStatus
from lightspeedpay.people.service import team_service
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("merchants:read")]
Writer = Annotated[Operator, operator_requires("merchants:write")]
Suspender = Annotated[Operator, operator_requires("kyc:write")]
PAGE_SIZE = 25


def _paise(raw: str, field: str) -> int | None:
    """Rupees as typed in a form (1,00,000.50) to paise; empty: not given."""
    text = raw.replace(",", "").replace("₹", "").strip()
    if not text:
        return None
    try:
        rupees = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(f"{field} must be an amount in rupees, like 10000.00.", field=field) from None
    if rupees != rupees.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{field} has more than two decimals (paise).", field=field)
    return int(rupees * 100)


async def _account(session: AsyncSession, merchant_id: uuid.UUID) -> dict[str, Any]:
    client, wallet = await merchant_service.account(session, merchant_id)
    entries, more = await ledger_service.entries_page(session, client.id, type=None, limit=10, cursor=None)
    return {
        "m": client,
        "wallet": wallet,
        "entries": entries,
        "more_entries": more is not None,
        "kyc_suspended": client.suspension_reason == KYC_SUSPENSION,
        "can_suspend": client.kyc_status == KycStatus.ACTIVATED
        and client.status != "disabled"
        and client.suspension_reason != KYC_SUSPENSION,
    }


@router.get("/admin/merchants", summary="Merchants")
async def merchants(
    request: Request, operator: Reader, session: ReadSession, q: str = "", cursor: str | None = None
) -> HTMLResponse:
    rows, next_cursor = await merchant_service.page(session, search=q[:254], limit=PAGE_SIZE, cursor=cursor)
    return web.page(
        request,
        "admin/merchants.html",
        {"rows": rows, "q": q, "next_cursor": next_cursor, "paged": cursor is not None},
        operator=operator,
    )


@router.get("/admin/merchants/{merchant_id}", summary="A merchant")
async def merchant(
    request: Request, merchant_id: str, operator: Reader, session: ReadSession
) -> HTMLResponse:
    merchant_id_ = merchant_uuid(merchant_id)
    account = await _account(session, merchant_id_)
    team = await team_service.merchant_team(session, merchant_id_)
    credentials = await credential_service.listing(session, merchant_id_)
    return web.page(
        request,
        "admin/merchant.html",
        {
            **account,
            "team": team,
            "credentials": credentials,
            "live_usable": account["m"].kyc_status == KycStatus.ACTIVATED,
            "test_mode": Mode.TEST,
        },
        operator=operator,
    )


async def _answer(
    request: Request, session: AsyncSession, operator: Operator, merchant_id: uuid.UUID, notice: str
) -> HTMLResponse:
    await session.flush()
    return web.fragment(
        request,
        "admin/_merchant_account.html",
        {**await _account(session, merchant_id), "notice": notice},
        operator=operator,
    )


@router.post("/admin/merchants/{merchant_id}/settings", summary="Change a merchant's settings")
async def update_settings(
    request: Request,
    merchant_id: str,
    operator: Writer,
    session: WriteSession,
    fee_percent: Annotated[str, Form(max_length=20)] = "",
    warn_threshold: Annotated[str, Form(max_length=30)] = "",
    suspend_threshold: Annotated[str, Form(max_length=30)] = "",
    whatsapp_phone: Annotated[str, Form(max_length=30)] = "",
) -> HTMLResponse:
    merchant_id_ = merchant_uuid(merchant_id)
    client, wallet = await merchant_service.account(session, merchant_id_)
    values: dict[str, Any] = {
        "fee_percent": fee_percent.strip() or None,
        "warn_threshold": _paise(warn_threshold, "warn_threshold"),
        "suspend_threshold": _paise(suspend_threshold, "suspend_threshold"),
        "whatsapp_phone": whatsapp_phone.replace(" ", "").strip() or None,
    }
    body = validated(MerchantSettingsUpdate, values)
    current = {
        "fee_percent": client.fee_percent,
        "warn_threshold": wallet.warn_threshold,
        "suspend_threshold": client.suspend_threshold,
        "whatsapp_phone": client.whatsapp_phone,
    }
    # only what changed, as the API's PATCH would be sent (an emptied WhatsApp number clears it)
    changes = {k: v for k, v in body.model_dump().items() if k in current and v != current[k]}
    if "fee_percent" in changes and changes["fee_percent"] is None:
        raise ValidationFailed("fee_percent cannot be empty.", field="fee_percent")
    for name in ("warn_threshold", "suspend_threshold"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be empty.", field=name)
    if changes:
        await merchant_service.update_settings(session, merchant_id_, changes, actor=operator.actor)
        notice = i18n.gettext(_("Settings saved."))
    else:
        notice = i18n.gettext(_("Nothing changed."))
    return await _answer(request, session, operator, merchant_id_, notice)


@router.post("/admin/merchants/{merchant_id}/suspend", summary="Suspend a merchant")
async def suspend(
    request: Request,
    merchant_id: str,
    operator: Suspender,
    session: WriteSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    merchant_id_ = merchant_uuid(merchant_id)
    body = validated(SuspendBody, {"reason": reason.strip()})
    await kyc_service.suspend(session, merchant_id_, actor=operator.actor, reason=body.reason)
    notice = i18n.gettext(_("The merchant is suspended: new payments are refused."))
    return await _answer(request, session, operator, merchant_id_, notice)


@router.post("/admin/merchants/{merchant_id}/reinstate", summary="Resume a suspended merchant")
async def reinstate(
    request: Request,
    merchant_id: str,
    operator: Suspender,
    session: WriteSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    merchant_id_ = merchant_uuid(merchant_id)
    body = validated(SuspendBody, {"reason": reason.strip()})
    await kyc_service.reinstate(session, merchant_id_, actor=operator.actor, reason=body.reason)
    notice = i18n.gettext(_("The merchant is active again."))
    return await _answer(request, session, operator, merchant_id_, notice)
