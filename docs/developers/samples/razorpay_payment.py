"""After the checkout, with Razorpay's own Python client: check the signature, read the payment, refund part.
ORDER_ID=order_… PAYMENT_ID=pay_… SIGNATURE=… LSP_KEY_ID=… LSP_KEY_SECRET=… python razorpay_payment.py"""

import os

import razorpay

client = razorpay.Client(
    auth=(os.environ["LSP_KEY_ID"], os.environ["LSP_KEY_SECRET"]),
    base_url=os.environ.get("LSP_API", "http://127.0.0.1:8000"),
)
order_id, payment_id = os.environ["ORDER_ID"], os.environ["PAYMENT_ID"]

# raises razorpay.errors.SignatureVerificationError when the signature is not ours
client.utility.verify_payment_signature(
    {
        "razorpay_order_id": order_id,
        "razorpay_payment_id": payment_id,
        "razorpay_signature": os.environ["SIGNATURE"],
    }
)
payment = client.payment.fetch(payment_id)
print(payment["id"], payment["status"], payment["amount"], payment["order_id"])

refund = client.payment.refund(payment_id, {"amount": 10000, "notes": {"reason": "one item returned"}})
print(refund["id"], refund["status"], refund["amount"])
