"""Make one signed payment as the demo merchant against a running `lightspeedpay up`, then act as the payer
and show the transaction once it is paid. Usage: .venv/bin/python scripts/demo_pay.py [--test] [amount_paise]
(--test: with the demo's test key, a test-mode payment)"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid

import httpx

from lightspeedpay.config import get_settings
from lightspeedpay.devtools import demo
from lightspeedpay.kit.signing import sign_merchant_request


def signed(method: str, path: str, body: bytes, key: str, salt: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "X-Client-Key": key,
        "X-Timestamp": ts,
        "Content-Type": "application/json",
        "X-Signature": sign_merchant_request(salt, ts, method, path, body),
    }


def main() -> None:
    creds = asyncio.run(demo.seed())
    base = get_settings().public_base_url
    args = [a for a in sys.argv[1:] if a != "--test"]
    if "--test" in sys.argv[1:]:
        creds = {**creds, "client_key": creds["test_key_id"], "client_salt": creds["test_key_secret"]}
    amount = int(args[0]) if args else 49900
    body = json.dumps(
        {"amount": amount, "order_id": f"demo-{uuid.uuid4().hex[:10]}", "currency": "INR"}
    ).encode()
    r = httpx.post(
        f"{base}/api/v1/pay",
        content=body,
        headers=signed("POST", "/api/v1/pay", body, creds["client_key"], creds["client_salt"]),
    )
    print("POST /api/v1/pay ->", r.status_code, r.text)
    txn_id = r.json()["transaction_id"]
    path = f"/api/v1/transactions/{txn_id}"
    for _ in range(50):
        t = httpx.get(
            base + path, headers=signed("GET", path, b"", creds["client_key"], creds["client_salt"])
        ).json()
        if t.get("checkout_url"):
            break
        time.sleep(0.2)
    print("checkout_url:", t["checkout_url"])
    httpx.post(t["checkout_url"], data={"outcome": "success"}, headers={"accept": "application/json"})
    for _ in range(50):
        t = httpx.get(
            base + path, headers=signed("GET", path, b"", creds["client_key"], creds["client_salt"])
        ).json()
        if t["status"] in ("paid", "failed"):
            break
        time.sleep(0.2)
    print("GET", path, "->", json.dumps(t, indent=1))


if __name__ == "__main__":
    main()
