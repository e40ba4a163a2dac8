"""`/api/v1/merchant/settings`: the merchant's business profile, WhatsApp number and notices, and the origins
allowed to embed its checkout (read: settings:read; change: settings:write, the owner and admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from lightspeedpay.errors import ValidationFailed
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.kit.openapi import request_body
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.merchants.schemas import AccountSettingsOut, AccountSettingsUpdate
from lightspeedpay.merchants.settings import account_settings_service
from lightspeedpay.models import Client
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(
    prefix="/api/v1/merchant/settings", tags=["merchant: settings"], dependencies=[merchant_guard("settings")]
)


def _out(client: Client) -> AccountSettingsOut:
    return AccountSettingsOut(
        merchant_id=client.id,
        company_name=client.company_name,
        website=client.website,
        support_email=client.support_email,
        support_phone=client.support_phone,
        whatsapp_phone=client.whatsapp_phone,
        whatsapp_txn_updates=client.whatsapp_txn_updates,
        whatsapp_dues_reminders=client.whatsapp_dues_reminders,
        checkout_origins=list(client.checkout_origins),
        updated_at=client.updated_at,
    )


@router.get(
    "",
    response_model=AccountSettingsOut,
    summary="Your business profile, WhatsApp number and notices, and allowed checkout origins",
)
async def read_account_settings(merchant: CurrentMerchant, session: ReadSession) -> AccountSettingsOut:
    return _out(await account_settings_service.get(session, merchant))


@router.patch(
    "",
    response_model=AccountSettingsOut,
    responses=ValidationFailed.openapi(),
    summary="Change your business profile, WhatsApp number, which WhatsApp notices you get, or your allowed "
    "checkout origins",
    openapi_extra=request_body(
        AccountSettingsUpdate,
        {
            "profile": {
                "company_name": "Asha Handlooms",
                "website": "https://ashahandlooms.in",
                "support_email": "help@ashahandlooms.in",
                "support_phone": "+91 80 4567 8900",
            },
            "notices": {
                "whatsapp_phone": "+919876543210",
                "whatsapp_txn_updates": True,
                "whatsapp_dues_reminders": False,
            },
            "checkout origins": {"checkout_origins": ["https://ashahandlooms.in"]},
        },
    ),
)
async def change_account_settings(
    request: Request, merchant: CurrentMerchant, session: WriteSession
) -> AccountSettingsOut:
    body = parse_json(AccountSettingsUpdate, request.state.raw_body)
    client = await account_settings_service.update(session, merchant, body.model_dump(exclude_unset=True))
    return _out(client)


__all__ = ["router"]
