"""Razorpay's own Python client, pointed at LightSpeedPay: an order for the checkout (pip install razorpay).
LSP_KEY_ID=lsp_test_… LSP_KEY_SECRET=… python razorpay_order.py"""

import os
import uuid

import razorpay

client = razorpay.Client(
    auth=(os.environ["LSP_KEY_ID"], os.environ["LSP_KEY_SECRET"]),  # your key id and secret, as with Razorpay
    base_url=os.environ.get(
        "LSP_API", "http://127.0.0.1:8000"
    ),  # the only change: no /v1, the client adds it
)
order = client.order.create(
    {
        "amount": 49900,
        "currency": "INR",
        "receipt": f"rcpt-{uuid.uuid4().hex[:10]}",
        "notes": {"sku": "CHAI-250"},
    }
)
print(order["id"], order["status"], order["amount"])
