"""A demo merchant shop on its own origin: creates an order on the platform server-side, opens checkout.js in
the browser, and verifies the payment signature on its server, as a real merchant integration does."""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import uuid

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Chai & Co. (demo shop)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:560px;margin:48px auto;color:#111827}}
.card{{border:1px solid #e5e7eb;border-radius:14px;padding:28px}} h1{{margin:0 0 4px}} .price{{font-size:28px;margin:14px 0}}
button{{background:#4f46e5;color:#fff;border:0;border-radius:10px;padding:12px 22px;font-size:16px;cursor:pointer}}
#result{{margin-top:18px;font-weight:600}} .ok{{color:#15803d}} .bad{{color:#b91c1c}}</style>
<script src="{platform}/checkout.js"></script></head><body><div class="card">
<h1>Masala chai, 250 g</h1><div>Chai &amp; Co. demo shop, paying through LightSpeedPay</div>
<div class="price">₹{rupees}</div><button id="pay">Pay ₹{rupees}</button><div id="result"></div></div>
<script>
document.getElementById("pay").onclick = async function () {{
  const result = document.getElementById("result");
  result.textContent = ""; result.className = "";
  const order = await (await fetch("/orders", {{method: "POST"}})).json();
  if (!order.id) {{ result.textContent = "Could not create the order: " + JSON.stringify(order); return; }}
  const rzp = new LightSpeedPay({{
    key: "{key}", order_id: order.id,
    handler: async function (response) {{
      const check = await (await fetch("/verify", {{method: "POST", headers: {{"content-type": "application/json"}},
                                                     body: JSON.stringify(response)}})).json();
      result.textContent = check.verified ? "Payment verified ✓ " + response.razorpay_payment_id
                                          : "Signature did NOT verify";
      result.className = check.verified ? "ok" : "bad";
      window.lastPayment = Object.assign({{verified: check.verified}}, response);
    }},
    modal: {{ ondismiss: function () {{ result.textContent = "Checkout closed"; window.dismissed = true; }} }}
  }});
  rzp.on("payment.failed", function (r) {{
    result.textContent = "Payment failed: " + (r.error.description || r.error.code); result.className = "bad";
    window.lastFailure = r.error;
  }});
  rzp.open();
}};
</script></body></html>"""


def create_app(
    platform_url: str | None = None,
    client_key: str | None = None,
    client_salt: str | None = None,
    amount: int = 49_900,
) -> FastAPI:
    platform = (platform_url or os.environ.get("LSP_SHOP_PLATFORM_URL", "http://127.0.0.1:8000")).rstrip("/")
    key = client_key or os.environ.get("LSP_SHOP_CLIENT_KEY", "")
    salt = client_salt or os.environ.get("LSP_SHOP_CLIENT_SALT", "")
    app = FastAPI(title="Demo shop", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(
            PAGE.format(platform=html.escape(platform), key=html.escape(key), rupees=f"{amount / 100:,.2f}")
        )

    @app.post("/orders")
    async def create_order() -> JSONResponse:
        async with httpx.AsyncClient(timeout=10) as client:
            resp = await client.post(
                f"{platform}/v1/orders",
                auth=(key, salt),
                json={
                    "amount": amount,
                    "currency": "INR",
                    "receipt": f"chai-{uuid.uuid4().hex[:8]}",
                    "notes": {"product": "masala chai 250g"},
                },
            )
        return JSONResponse(resp.json(), status_code=resp.status_code)

    @app.post("/verify")
    async def verify(request: Request) -> JSONResponse:
        body = await request.json()
        message = f"{body.get('razorpay_order_id', '')}|{body.get('razorpay_payment_id', '')}".encode()
        expected = hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()
        return JSONResponse(
            {"verified": hmac.compare_digest(expected, str(body.get("razorpay_signature", "")))}
        )

    return app
