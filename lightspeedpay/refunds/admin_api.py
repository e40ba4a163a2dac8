"""The operator's refunds API: refund any merchant's payment on its behalf (payments:write), through the same
refund service, checks and audit row as the merchant's own refunds; the console's refund action calls it too."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lightspeedpay.auth.signature import read_body
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.openapi import request_body
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.payments.errors import RefundLimitExceeded, RefundNotAllowed
from lightspeedpay.refunds.api import refund_out
from lightspeedpay.refunds.schemas import RefundCreate, RefundOut
from lightspeedpay.refunds.service import refund_service
from lightspeedpay.sessions import WriteSession

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin: refunds"],
    dependencies=[operator_guard("payments")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)


@router.post(
    "/payments/{payment_id}/refunds",
    status_code=201,
    response_model=RefundOut,
    summary="Refund a merchant's paid payment on its behalf, fully (no amount) or in part",
    responses={
        **RefundNotAllowed.openapi(),
        **RefundLimitExceeded.openapi(),
        422: {"description": "REFUND_EXCEEDS_PAID or a field is invalid"},
        404: {"description": "NOT_FOUND"},
    },
    openapi_extra=request_body(
        RefundCreate,
        {"partial": {"amount": 5000, "notes": {"reason": "customer complaint, ticket 4411"}}, "full": {}},
        required=False,
    ),
)
async def refund_payment(
    payment_id: str, request: Request, operator: CurrentAdmin, session: WriteSession
) -> Response:
    raw = await read_body(request)
    body = parse_json(RefundCreate, raw if raw.strip() else b"{}")
    reason = (body.notes or {}).get("reason")
    refund, txn = await refund_service.create_for_operator(
        session,
        payment_id,
        body,
        actor=operator.actor,
        role=operator.role,
        reason=str(reason)[:500] if reason is not None else None,
    )
    return json_response(refund_out(refund, txn).model_dump(mode="json"), status_code=201)
