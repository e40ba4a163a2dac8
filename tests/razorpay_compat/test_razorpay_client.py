"""The official `razorpay` Python client, pointed at our base URL, against the running platform: what a
merchant moving from Razorpay keeps running unchanged."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import razorpay
from razorpay.errors import BadRequestError, SignatureVerificationError

from lightspeedpay.payments.service import payment_service
from lightspeedpay.payments.signatures import payment_signature, verify_payment_signature
from tests.factories import create_merchant, create_sandbox_gateway, merchant_client, wait_for
from tests.paying import settle


async def test_the_official_client_works_against_our_api(platform, session):
    new = await create_merchant(session)
    await create_sandbox_gateway(session, platform.simulator_url)
    client = razorpay.Client(auth=(new.client.client_key, new.client_salt), base_url=platform.api_url)
    client.set_app_details({"title": "Shop", "version": "1.0"})

    order = await asyncio.to_thread(
        client.order.create,
        {"amount": 50000, "currency": "INR", "receipt": "rcpt-1", "notes": {"sku": "TSHIRT-M"}},
    )
    assert order["status"] == "created" and order["id"].startswith("order_")
    assert (await asyncio.to_thread(client.order.fetch, order["id"]))["amount"] == 50000
    assert [o["id"] for o in (await asyncio.to_thread(client.order.all, {"count": 5}))["items"]] == [
        order["id"]
    ]

    # the payer pays on the hosted checkout (here: its service call, then the sandbox PSP's page)
    started = await payment_service.start_for_order(order["id"])
    async with httpx.AsyncClient(timeout=15) as http:
        await settle(merchant_client(platform.api_url, new, http), str(started.transaction_id), "authorize")
    payment = await asyncio.to_thread(client.payment.fetch, started.payment_id)
    assert (payment["status"], payment["order_id"]) == ("authorized", order["id"])
    assert [p["id"] for p in (await asyncio.to_thread(client.order.payments, order["id"]))["items"]] == [
        started.payment_id
    ]

    # Checkout's signature verifies with Razorpay's own helper, keyed with the client's secret
    signature = payment_signature(new.client_salt, order["id"], started.payment_id)
    assert client.utility.verify_payment_signature(
        {
            "razorpay_order_id": order["id"],
            "razorpay_payment_id": started.payment_id,
            "razorpay_signature": signature,
        }
    )
    with pytest.raises(SignatureVerificationError):
        client.utility.verify_payment_signature(
            {
                "razorpay_order_id": "order_SomeoneElses00",
                "razorpay_payment_id": started.payment_id,
                "razorpay_signature": signature,
            }
        )
    assert verify_payment_signature(new.client_salt, order["id"], started.payment_id, signature)
    assert not verify_payment_signature(new.client_salt, order["id"], started.payment_id, "")

    with pytest.raises(BadRequestError, match="equal to the amount authorized"):
        await asyncio.to_thread(client.payment.capture, started.payment_id, 49_999, {"currency": "INR"})
    captured = await asyncio.to_thread(client.payment.capture, started.payment_id, 50000, {"currency": "INR"})
    assert (captured["status"], captured["captured"]) == ("captured", True)
    assert (await asyncio.to_thread(client.order.fetch, order["id"]))["status"] == "paid"

    refund = await asyncio.to_thread(
        client.payment.refund, started.payment_id, {"amount": 20000, "notes": {"why": "exchange"}}
    )
    assert (refund["entity"], refund["amount"], refund["payment_id"]) == ("refund", 20000, started.payment_id)
    assert (await asyncio.to_thread(client.refund.fetch, refund["id"]))["id"] == refund["id"]
    with pytest.raises(BadRequestError, match="greater than what is left"):
        await asyncio.to_thread(client.payment.refund, started.payment_id, {"amount": 30001})

    async def partially_refunded():
        p = await asyncio.to_thread(client.payment.fetch, started.payment_id)
        return p if p["refund_status"] == "partial" else None

    p = await wait_for(partially_refunded, what="the refund to be processed")
    assert (p["status"], p["amount_refunded"]) == ("captured", 20000)
    with pytest.raises(BadRequestError, match="does not exist"):
        await asyncio.to_thread(client.payment.fetch, "pay_NotOurs0000000")
    bad_client = razorpay.Client(auth=(new.client.client_key, "wrong"), base_url=platform.api_url)
    with pytest.raises(BadRequestError):
        await asyncio.to_thread(bad_client.order.all)
