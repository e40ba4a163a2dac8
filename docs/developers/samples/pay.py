"""A test payment from start to finish: create it, pay it on the sandbox's checkout page, see it paid.
Run with your test key: LSP_KEY_ID=lsp_test_… LSP_KEY_SECRET=… python pay.py"""

import os
import sys
import time
import uuid

import httpx
from signing import LightSpeedPay

lsp = LightSpeedPay(os.environ["LSP_KEY_ID"], os.environ["LSP_KEY_SECRET"])
order_id = f"ORD-{uuid.uuid4().hex[:12]}"

# 1. The payment. The Idempotency-Key makes a retry (after a timeout, say) return this payment, not a second one.
created = lsp.request(
    "POST",
    "/api/v1/pay",
    {"amount": 49900, "currency": "INR", "order_id": order_id, "customer": {"name": "Asha Rao"}},
    headers={"Idempotency-Key": f"pay-{order_id}"},
)
txn_id = created["transaction_id"]
print("created", txn_id, created["payment_id"])


def wait_for(*statuses: str) -> dict:
    for _ in range(60):
        txn = lsp.request("GET", f"/api/v1/transactions/{txn_id}")
        if txn["status"] in statuses:
            return txn
        time.sleep(1)
    sys.exit(f"the payment is still {txn['status']}")


# 2. A worker asks a PSP for the payment page in the background: wait for its checkout_url.
txn = wait_for("pending", "paid", "failed", "expired")
print("checkout page:", txn["checkout_url"])

# 3. Send your customer there. In test mode the sandbox's page has a button per outcome; press "success".
httpx.post(txn["checkout_url"], data={"outcome": "success"}, timeout=30).raise_for_status()

# 4. The PSP tells the platform, which marks the payment paid and sends you payment.paid.
txn = wait_for("paid", "failed", "expired")
print(txn["status"], txn["payment_id"], txn["amount"], txn["mode"])
