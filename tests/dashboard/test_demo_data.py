"""The demo's traffic (what the first `lightspeedpay up` makes through the APIs): payments paid, failed and left
pending across the demo merchants, refunds, a KYC application waiting for review, and a settlement run; the
console's pages then show them."""

from __future__ import annotations

from sqlalchemy import func, select

from lightspeedpay.devtools import demo, demo_traffic
from lightspeedpay.models import Client, Refund, Transaction
from tests.dashboard.support import client, operator


async def test_demo_traffic_fills_the_console(platform, session):
    creds = await demo.seed()
    shops = [demo_traffic.Shopkeeper(**shop) for shop in creds["shops"]]
    seen: list[int] = []
    filled = await demo_traffic.fill(
        platform.api_url,
        shops,
        operator=demo.DEMO_OPERATOR,
        kyc_owner=(creds["kyc_merchant_id"], *demo.KYC_OWNER),
        payments=16,
        progress=lambda done: seen.append(done.paid + done.failed + done.pending),
    )
    assert not filled.errors, filled.errors
    assert filled.payments == 16 and filled.paid >= 8 and filled.refunds >= 1
    assert seen and seen[-1] == 16
    merchants = {c.company_name: c for c in (await session.scalars(select(Client))).all()}
    assert merchants[demo.KYC_MERCHANT].kyc_status == "submitted"
    demo_ids = [merchants[shop.name].id for shop in shops]
    decided = select(func.count()).select_from(Transaction).where(Transaction.client_id.in_(demo_ids))
    paid = await session.scalar(
        decided.where(Transaction.status.in_(("paid", "refunded", "partially_refunded")))
    )
    assert paid == filled.paid
    assert await session.scalar(select(func.count()).select_from(Refund)) == filled.refunds
    _, headers = await operator(session, "owner")
    async with client(platform.api_url, headers) as http:
        payments = await http.get("/admin/payments")
        assert payments.status_code == 200
        assert any(shop.name in payments.text for shop in shops)
        kyc = await http.get("/admin/kyc")
        assert kyc.status_code == 200 and demo.KYC_MERCHANT in kyc.text
