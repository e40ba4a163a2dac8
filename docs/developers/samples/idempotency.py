"""Idempotency-Key: a retry of a request whose answer was lost gets that answer again, never a second payment.
LSP_KEY_ID=lsp_test_… LSP_KEY_SECRET=… python idempotency.py"""

import json
import os
import time
import uuid

import httpx
from signing import API, sign

KEY_ID, KEY_SECRET = os.environ["LSP_KEY_ID"], os.environ["LSP_KEY_SECRET"]
idempotency_key = str(uuid.uuid4())  # one per payment you mean to make; keep it with your order


def pay(payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time() * 1000))  # milliseconds: every attempt is signed anew
    return httpx.post(
        f"{API}/api/v1/pay",
        content=body,
        timeout=30,
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            "X-Client-Key": KEY_ID,
            "X-Timestamp": timestamp,
            "X-Signature": sign(KEY_SECRET, timestamp, "POST", "/api/v1/pay", body),
        },
    )


payment = {"amount": 10000, "currency": "INR", "order_id": f"ORD-{uuid.uuid4().hex[:12]}"}
first = pay(payment)
retry = pay(payment)  # as if the first answer had been lost on the way
print("first:", first.status_code, first.json()["transaction_id"])
print(
    "retry:",
    retry.status_code,
    retry.json()["transaction_id"],
    "replayed:",
    retry.headers["Idempotent-Replayed"],
)

# the same key for another request is a mistake in your code, and is refused
other = pay({**payment, "amount": 20000})
print("other:", other.status_code, other.json()["error"]["code"])
