"""The merchant's wallet (signed requests): what is due, the thresholds, the account status, and the
entries behind balance_due."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard
from lightspeedpay.ledger.service import ledger_service
from lightspeedpay.merchants.schemas import WalletEntryList, WalletEntryOut, WalletOut
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models.base import values
from lightspeedpay.models.wallet import WalletEntryType
from lightspeedpay.sessions import ReadSession

router = APIRouter(prefix="/api/v1", tags=["wallet"], dependencies=[merchant_guard("wallet")])


@router.get("/wallet", response_model=WalletOut, summary="Commission due, thresholds and account status")
async def wallet(merchant: CurrentMerchant, session: ReadSession) -> WalletOut:
    client, w = await merchant_service.account(session, merchant.id)
    return WalletOut(
        merchant_id=client.id,
        balance_due=w.balance_due,
        warn_threshold=w.warn_threshold,
        suspend_threshold=client.suspend_threshold,
        status=client.status,
        suspension_reason=client.suspension_reason,
        fee_percent=client.fee_percent,
        settle_dues_from_settlement=client.settle_dues_from_settlement,
        last_notice_at=w.wa_last_sent,
    )


@router.get(
    "/wallet/entries",
    response_model=WalletEntryList,
    summary="The entries behind balance_due, newest first (cursor-paginated)",
)
async def wallet_entries(
    merchant: CurrentMerchant,
    session: ReadSession,
    type: Annotated[Literal[values(WalletEntryType)] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> WalletEntryList:
    rows, next_cursor = await ledger_service.entries_page(
        session, merchant.id, type=type, limit=limit, cursor=cursor
    )
    return WalletEntryList(
        items=[
            WalletEntryOut(
                id=e.id,
                type=e.type,
                amount=e.amount,
                posting_id=p.id,
                transaction_id=p.transaction_id,
                refund_id=p.refund_id,
                settlement_id=p.settlement_id,
                reference=p.reference,
                reason=p.reason,
                created_at=e.created_at,
            )
            for e, p in rows[:limit]
        ],
        next_cursor=next_cursor,
    )


__all__ = ["router"]
