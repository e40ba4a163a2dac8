"""The merchant console's account pages: Settings (the business profile, the WhatsApp number and which notices
go to it), changed by owners and admins through `account_settings_service` as PATCH /api/v1/merchant/settings is
(its rules, its audit row); and WhatsApp notices (what was sent, counted by type and state, and the latest
messages, in the words the operator's log uses: `dashboard/whatsapp_texts.py`), read through
`notification_service` as `/api/v1/merchant/whatsapp/usage` is."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import forms, i18n, web
from lightspeedpay.dashboard.merchant import actions
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.dashboard.whatsapp_texts import STATUSES, TYPES, text_of
from lightspeedpay.merchants.schemas import AccountSettingsUpdate
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.merchants.settings import account_settings_service
from lightspeedpay.notifications.service import notification_service
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
SettingsReader = Annotated[MerchantAuth, merchant_page("settings:read")]
SettingsWriter = Annotated[MerchantAuth, merchant_page("settings:write")]
WhatsAppReader = Annotated[MerchantAuth, merchant_page("whatsapp:read")]
PERIODS = (7, 30, 90)


NOTICES = {
    "profile": _("The business profile is saved."),
    "notices": _("Your WhatsApp notices are saved."),
}


def settings_path(mode: str) -> str:
    return f"{web.merchant_base(mode)}/settings"


async def _settings(session: AsyncSession, merchant: MerchantAuth) -> dict[str, Any]:
    client = await account_settings_service.get(session, merchant)
    _client, wallet = await merchant_service.account(session, merchant.id)
    return {"client": client, "wallet": wallet}


@router.get("/dashboard/{mode}/settings", summary="Your business profile and notices")
async def settings(request: Request, merchant: SettingsReader, session: ReadSession) -> HTMLResponse:
    context = await _settings(session, merchant)
    context["notice"] = actions.done_notice(request, NOTICES)
    return web.page(request, "merchant/settings.html", context, merchant=merchant)


async def _save(
    request: Request, session: AsyncSession, merchant: MerchantAuth, values: dict[str, Any], done: str
) -> Response:
    """The JSON API's own rules for the fields sent (an empty optional field clears it), then the service."""
    body = forms.validated(AccountSettingsUpdate, values)
    await account_settings_service.update(session, merchant, body.model_dump(exclude_unset=True))
    return actions.answer(
        request,
        merchant,
        page="merchant/settings.html",
        body="merchant/_settings_body.html",
        context=await _settings(session, merchant),
        back_to=settings_path(merchant.mode),
        done=done,
        notice=i18n.gettext(NOTICES[done]),
    )


async def _optional(request: Request, name: str, max_length: int) -> str | None:
    return (await actions.form_text(request, name, max_length=max_length)).strip() or None


@router.post("/dashboard/{mode}/settings/profile", summary="Change your business profile")
async def save_profile(request: Request, merchant: SettingsWriter, session: WriteSession) -> Response:
    values = {
        "company_name": await _optional(request, "company_name", 300),
        "website": await _optional(request, "website", 600),
        "support_email": await _optional(request, "support_email", 300),
        "support_phone": await _optional(request, "support_phone", 60),
    }
    return await _save(request, session, merchant, values, "profile")


@router.post(
    "/dashboard/{mode}/settings/notices", summary="Change your WhatsApp number and which notices go to it"
)
async def save_notices(request: Request, merchant: SettingsWriter, session: WriteSession) -> Response:
    values = {
        "whatsapp_phone": await _optional(request, "whatsapp_phone", 60),
        "whatsapp_txn_updates": await actions.form_text(request, "whatsapp_txn_updates", max_length=10)
        == "true",
        "whatsapp_dues_reminders": (
            await actions.form_text(request, "whatsapp_dues_reminders", max_length=10) == "true"
        ),
    }
    return await _save(request, session, merchant, values, "notices")


@router.get("/dashboard/{mode}/whatsapp", summary="The WhatsApp notices sent to you")
async def whatsapp(request: Request, merchant: WhatsAppReader, session: ReadSession) -> HTMLResponse:
    raw = request.query_params.get("days", "30")
    days = int(raw) if raw in {str(p) for p in PERIODS} else 30
    phone = await notification_service.whatsapp_phone(session, merchant.id)
    usage = await notification_service.usage(session, merchant.id, days=days)
    context = {
        "phone": phone,
        "days": days,
        "periods": PERIODS,
        "usage": usage,
        "recent": [(n, text_of(n)) for n in usage["recent"]],
        "types": TYPES,
        "statuses": STATUSES,
    }
    return web.page(request, "merchant/whatsapp.html", context, merchant=merchant)
