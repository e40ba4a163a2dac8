"""The synchronous client against the running platform (skipped when LSP_API is unset): a payment paid on the
sandbox, its payment.paid received and verified, a refund, /v1 orders, pagination, webhook endpoint management
with a rotation, a 429 retried after Retry-After, idempotent retries, and typed errors."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from conftest import Platform, Receiver, Traffic, press_success, recorded, wait_until

from lightspeedpay_sdk import (
    AuthenticationError,
    Client,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    verify_webhook,
)


@pytest.fixture
def client(platform: Platform):
    with Client(platform.key_id, platform.key_secret, base_url=platform.api) as made:
        yield made


def _order_id() -> str:
    return f"ORD-PY-{uuid.uuid4().hex[:12]}"


def test_a_payment_paid_on_the_sandbox_its_webhook_verified_and_a_refund(
    client: Client, platform: Platform, receiver: Receiver, caplog
):
    caplog.set_level(logging.DEBUG)
    path = "/webhooks"
    endpoint = client.webhooks.create(
        receiver.url, event_types=["payment.paid"], description="python sdk, sync"
    )
    assert endpoint["secret"].startswith("whsec_") and endpoint["url"] == receiver.url

    created = client.payments.pay(49900, _order_id(), customer={"name": "Asha Rao"}, notes={"sdk": "python"})
    assert created["status"] == "created" and created["payment_id"].startswith("pay_")
    payment = client.payments.wait(created["transaction_id"], "pending", "paid", "failed", "expired")
    assert payment["checkout_url"], payment
    press_success(payment["checkout_url"])
    payment = client.payments.wait(created["transaction_id"], "paid", "failed", "expired")
    assert (payment["status"], payment["amount"], payment["mode"]) == ("paid", 49900, "test")
    assert client.payments.get(created["payment_id"])["id"] == created["transaction_id"]  # by pay_… too

    delivery = receiver.wait_for(path, lambda d: created["payment_id"].encode() in d.body)
    event = verify_webhook(endpoint["secret"], delivery.headers, delivery.body)
    assert event["type"] == "payment.paid" and event["livemode"] is False
    assert event["data"]["payment_id"] == created["payment_id"] and event["data"]["status"] == "paid"

    refund = client.refunds.create(created["transaction_id"], amount=10000, notes={"reason": "one item"})
    assert refund["id"].startswith("rfnd_") and refund["amount"] == 10000
    assert refund["payment_id"] == created["payment_id"]
    assert client.refunds.get(refund["id"])["id"] == refund["id"]
    assert [r["id"] for r in client.refunds.list(transaction_id=created["transaction_id"])] == [refund["id"]]
    assert refund["id"] in {r["id"] for r in client.refunds.list()}
    done = wait_until(
        lambda: (lambda r: r if r["status"] != "pending" else None)(client.refunds.get(refund["id"])),
        what="the refund carried out",
    )
    assert done["status"] == "processed", done
    assert client.payments.get(created["transaction_id"])["amount_refunded"] == 10000

    # more than was paid: a typed error naming the field, not retried
    with pytest.raises(InvalidRequestError) as raised:
        client.refunds.create(created["transaction_id"], amount=10_000_000)
    assert (raised.value.code, raised.value.status) == ("REFUND_EXCEEDS_PAID", 422)
    assert raised.value.request_id

    # nothing the SDK or httpx logged carries the secret
    assert all(platform.key_secret not in record.getMessage() for record in caplog.records)
    client.webhooks.delete(endpoint["id"])


def test_webhook_endpoints_managed_and_a_rotation_verified_with_either_secret(
    client: Client, receiver: Receiver
):
    path = "/webhooks/rotation"
    url = receiver.url + "/rotation"
    endpoint = client.webhooks.create(url, event_types=["payment.failed"])
    assert client.webhooks.get(endpoint["id"])["url"] == url
    changed = client.webhooks.update(endpoint["id"], description="rotation test", event_types=[])
    assert changed["description"] == "rotation test" and changed["event_types"] == []
    assert endpoint["id"] in {e["id"] for e in client.webhooks.list()}

    rotated = client.webhooks.rotate(endpoint["id"])
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"]
    queued = client.webhooks.test(endpoint["id"])
    assert queued["endpoint_ids"] == [endpoint["id"]]
    ping = receiver.wait_for(path, lambda d: d.event()["type"] == "ping")
    assert len(ping.headers["webhook-signature"].split(" ")) == 2  # signed with both during the grace
    for secrets in (endpoint["secret"], rotated["secret"], [endpoint["secret"], rotated["secret"]]):
        assert verify_webhook(secrets, ping.headers, ping.body)["type"] == "ping"

    deliveries = wait_until(
        lambda: [d for d in client.webhooks.deliveries(endpoint["id"], status="succeeded")],
        what="the ping's delivery in the log",
    )
    resent = client.webhooks.resend(endpoint["id"], deliveries[0]["id"])
    assert resent["status"] == "queued" and resent["endpoint_id"] == endpoint["id"]
    wait_until(lambda: len([d for d in receiver.deliveries if d.path == path]) >= 2, what="the resent ping")
    again = [d for d in receiver.deliveries if d.path == path][1]
    assert again.headers["webhook-id"] == ping.headers["webhook-id"]
    verify_webhook(rotated["secret"], again.headers, again.body)

    client.webhooks.delete(endpoint["id"])
    with pytest.raises(NotFoundError) as raised:
        client.webhooks.get(endpoint["id"])
    assert raised.value.code == "NOT_FOUND" and raised.value.status == 404


def test_an_authorized_payment_is_captured_once(client: Client):
    created = client.payments.pay(30000, _order_id())
    payment = client.payments.wait(created["transaction_id"], "pending", "paid", "failed", "expired")
    press_success(payment["checkout_url"], "authorize")
    payment = client.payments.wait(created["transaction_id"], "authorized", "paid", "failed", "expired")
    assert payment["status"] == "authorized"
    captured = client.payments.capture(created["transaction_id"])
    assert captured["status"] == "paid" and captured["id"] == created["transaction_id"]
    with pytest.raises(ConflictError) as again:
        client.payments.capture(created["transaction_id"])
    assert again.value.code == "PAYMENT_NOT_CAPTURABLE" and again.value.status == 409


def test_pagination_walks_every_page(platform: Platform, client: Client):
    made = [client.payments.pay(1000 + i, _order_id())["transaction_id"] for i in range(3)]
    traffic = Traffic()
    with Client(
        platform.key_id, platform.key_secret, base_url=platform.api, http_client=recorded(traffic)
    ) as paged:
        seen = [p["id"] for p in paged.payments.list(page_size=2)]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    pages = traffic.to("GET", "/api/v1/transactions")
    assert len(pages) >= 2 and "cursor=" in str(pages[1].url)
    # filters go with every page
    small = list(client.payments.list(amount_min=1000, amount_max=1002, page_size=1))
    assert set(made) <= {p["id"] for p in small}


def test_an_idempotency_key_returns_the_first_payment_and_refuses_other_parameters(client: Client):
    key, order_id = f"pay-{uuid.uuid4()}", _order_id()
    first = client.payments.pay(25000, order_id, idempotency_key=key)
    again = client.payments.pay(25000, order_id, idempotency_key=key)  # as if the first answer had been lost
    assert again["transaction_id"] == first["transaction_id"]
    with pytest.raises(InvalidRequestError) as raised:
        client.payments.pay(26000, order_id, idempotency_key=key)
    assert raised.value.code == "IDEMPOTENCY_KEY_REUSED"
    with pytest.raises(ConflictError) as duplicate:  # a new key, an order id already paid for: not retried
        client.payments.pay(25000, order_id)
    assert duplicate.value.code == "DUPLICATE_ORDER_ID"


def test_a_429_is_retried_after_retry_after_with_the_same_idempotency_key(platform: Platform):
    traffic = Traffic()
    throttled = Client(
        platform.throttled_key_id,
        platform.throttled_key_secret,
        base_url=platform.throttled_api,
        http_client=recorded(traffic),
    )
    time.sleep(2.1)  # a window of its own, whatever the other tests did before
    throttled.wallet.get()  # the one request of this 2-second window
    started = time.monotonic()
    created = throttled.payments.pay(30000, _order_id())
    waited = time.monotonic() - started
    attempts = traffic.to("POST", "/api/v1/pay")
    statuses = [r.status_code for r in traffic.answers if r.request.url.path == "/api/v1/pay"]
    assert statuses[0] == 429 and statuses[-1] == 201, statuses
    retry_after = float(next(r for r in traffic.answers if r.status_code == 429).headers["Retry-After"])
    assert waited >= retry_after
    assert len({r.headers["Idempotency-Key"] for r in attempts}) == 1
    assert len({r.headers["X-Signature"] for r in attempts}) == len(attempts)
    time.sleep(2.1)  # a fresh window
    assert throttled.payments.get(created["transaction_id"])["amount"] == 30000


def test_typed_errors_for_bad_input_and_bad_credentials(platform: Platform, client: Client):
    with pytest.raises(InvalidRequestError) as raised:
        client.payments.pay(0, _order_id())
    error = raised.value
    assert error.status == 422 and error.field == "amount" and error.code == "INVALID_AMOUNT"
    assert error.message and error.request_id
    with pytest.raises(NotFoundError):
        client.payments.get(str(uuid.uuid4()))
    wrong = Client(platform.key_id, "not-the-secret", base_url=platform.api)
    with pytest.raises(AuthenticationError) as refused:
        wrong.wallet.get()
    assert refused.value.code == "INVALID_SIGNATURE" and refused.value.status == 401
    with pytest.raises(AuthenticationError):
        wrong.orders.get("order_nothing")  # HTTP Basic on /v1


def test_orders_on_v1_and_the_account_reads(client: Client):
    receipt = f"rcpt-{uuid.uuid4().hex[:10]}"
    order = client.orders.create(49900, receipt=receipt, notes={"sku": "CHAI-250"})
    assert order["id"].startswith("order_") and order["amount"] == 49900 and order["status"] == "created"
    assert client.orders.get(order["id"])["receipt"] == receipt
    assert [o["id"] for o in client.orders.list(receipt=receipt)] == [order["id"]]
    assert client.orders.payments(order["id"]) == []
    with pytest.raises(InvalidRequestError) as raised:
        client.orders.create(1)
    assert raised.value.status == 400 and raised.value.field == "amount"

    wallet = client.wallet.get()
    assert wallet["balance_due"] >= 0 and "status" in wallet
    assert isinstance(list(client.wallet.entries()), list)
    assert isinstance(list(client.settlements.list()), list)
    with pytest.raises(NotFoundError):
        client.settlements.get(str(uuid.uuid4()))
    keys = client.credentials.list()
    assert client.key_id in {item["key_id"] for item in keys["items"]}
    usage = client.usage.get()
    assert isinstance(usage, dict) and usage
    assert client.payments.csv(status="paid").splitlines()[0]  # the header row
