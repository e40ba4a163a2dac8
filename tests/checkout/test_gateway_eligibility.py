"""The hosted checkout and POST /api/v1/pay agree on which gateways can take a payment (issue 8, defect 4):
one eligibility rule, the monthly volume reset included."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from lightspeedpay.gateways.service import volume_month
from lightspeedpay.models import PaymentGateway
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client
from tests.paying import rzp_http

NO_METHOD = "No payment method is available right now."
LIMIT, AMOUNT = 1_000_000, 10_000


async def _checkout_page(platform, new, order_id: str) -> str:
    async with httpx.AsyncClient(timeout=30) as c:
        r = await c.get(f"{platform.api_url}/checkout/{order_id}", params={"key": new.client.client_key})
    assert r.status_code == 200, r.text
    return r.text


async def test_a_gateway_full_last_month_is_eligible_this_month_for_checkout_and_pay(platform, session):
    new = await create_merchant(session)
    gw = await create_sandbox_gateway(session, platform.simulator_url, monthly_limit=LIMIT)
    gw_id = gw.id
    # the gateway used its whole limit last month; this month it has used nothing yet
    last_month = (volume_month() - timedelta(days=1)).replace(day=1)
    await session.execute(
        update(PaymentGateway)
        .where(PaymentGateway.id == gw_id)
        .values(current_volume=LIMIT, volume_month=last_month)
    )
    await session.commit()
    async with rzp_http(platform, new) as rzp, httpx.AsyncClient(timeout=30) as http:
        r = await rzp.post("/v1/orders", json={"amount": AMOUNT, "currency": "INR"})
        assert r.status_code == 200, r.text
        order_id = r.json()["id"]

        page = await _checkout_page(platform, new, order_id)
        assert NO_METHOD not in page
        assert "UPI" in page  # the sandbox's methods are offered
        paid = await merchant_client(platform.api_url, new, http).pay(amount=AMOUNT)
        assert paid.status_code == 201, paid.text

        # and both refuse alike once this month's volume is at the limit
        await session.execute(
            update(PaymentGateway)
            .where(PaymentGateway.id == gw_id)
            .values(current_volume=LIMIT, volume_month=volume_month())
        )
        await session.commit()
        assert NO_METHOD in await _checkout_page(platform, new, order_id)
        refused = await merchant_client(platform.api_url, new, http).pay(amount=AMOUNT)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "NO_GATEWAY_AVAILABLE"
