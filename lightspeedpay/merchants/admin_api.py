"""The operator's merchant API (bearer admin token): a merchant's dues settings and WhatsApp number."""

from __future__ import annotations

from fastapi import APIRouter, Request

from lightspeedpay.auth.signature import read_body
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.ledger.admin_api import merchant_uuid
from lightspeedpay.merchants.schemas import MerchantOut, MerchantSettingsUpdate
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import Client, Wallet
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(
    prefix="/api/v1/admin/merchants",
    tags=["admin: merchants"],
    dependencies=[operator_guard("merchants")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)


def _out(client: Client, wallet: Wallet) -> MerchantOut:
    return MerchantOut(
        id=client.id,
        company_name=client.company_name,
        status=client.status,
        suspension_reason=client.suspension_reason,
        fee_percent=client.fee_percent,
        balance_due=wallet.balance_due,
        warn_threshold=wallet.warn_threshold,
        suspend_threshold=client.suspend_threshold,
        whatsapp_phone=client.whatsapp_phone,
        whatsapp_txn_updates=client.whatsapp_txn_updates,
        settle_dues_from_settlement=client.settle_dues_from_settlement,
        rate_limit_per_minute=client.rate_limit_per_minute,
        checkout_origins=list(client.checkout_origins),
        created_at=client.created_at,
    )


@router.get(
    "/{merchant_id}",
    response_model=MerchantOut,
    responses={404: {"description": "NOT_FOUND"}},
    summary="A merchant's status, dues and settings",
)
async def get_merchant(merchant_id: str, session: ReadSession) -> MerchantOut:
    return _out(*await merchant_service.account(session, merchant_uuid(merchant_id)))


@router.patch(
    "/{merchant_id}",
    response_model=MerchantOut,
    responses={404: {"description": "NOT_FOUND"}, 422: {"description": "VALIDATION_ERROR"}},
    summary="Change dues thresholds, fee, WhatsApp number, settlement deduction, API rate limit and checkout "
    "origins; a new suspend_threshold suspends or resumes the merchant at once",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": MerchantSettingsUpdate.model_json_schema(),
                    "example": {"whatsapp_phone": "919876543210", "settle_dues_from_settlement": True},
                }
            },
        }
    },
)
async def update_merchant(
    merchant_id: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> MerchantOut:
    body = parse_json(MerchantSettingsUpdate, await read_body(request))
    client, wallet = await merchant_service.update_settings(
        session, merchant_uuid(merchant_id), body.model_dump(exclude_unset=True), actor=admin.actor
    )
    return _out(client, wallet)


__all__ = ["router"]
