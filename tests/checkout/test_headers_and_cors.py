"""Security headers and CORS over HTTP (issue 10): every answer says nosniff and its referrer policy; the API's
JSON is not a page and may not be framed; the hosted checkout runs its inline script and style by a nonce only
and may be framed only by the merchant's registered origins; CORS headers appear only on the checkout's routes
and only for a registered origin (preflights answered), never on the API; operators register the origins
(validated, audited)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from lightspeedpay.kit.security_headers import SecurityHeadersMiddleware
from lightspeedpay.models import AuditLog
from tests.factories import create_merchant
from tests.ledger_support import admin_client

SHOP = "https://shop.example.in"
OTHER = "https://evil.example.com"


@dataclass
class Checkout:
    api: str
    order_id: str
    key: str
    http: httpx.AsyncClient

    def page(self, key: str | None = None) -> str:
        return f"{self.api}/checkout/{self.order_id}?key={key or self.key}"

    def status(self) -> str:
        return f"{self.api}/checkout/{self.order_id}/payments/pay_none/status?key={self.key}"


async def _order(platform, session, origins: list[str]) -> AsyncIterator[Checkout]:
    new = await create_merchant(session, checkout_origins=origins)
    async with httpx.AsyncClient(timeout=20) as http:
        r = await http.post(
            f"{platform.api_url}/v1/orders",
            json={"amount": 50_000, "currency": "INR", "receipt": "r1"},
            auth=(new.client.client_key, new.client_salt),
        )
        assert r.status_code == 200, r.text
        yield Checkout(platform.api_url, r.json()["id"], new.client.client_key, http)


@pytest.fixture
async def checkout(platform, session) -> AsyncIterator[Checkout]:
    async for c in _order(platform, session, [SHOP, "http://127.0.0.1:8970"]):
        yield c


def _common(r: httpx.Response) -> None:
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in r.headers  # LSP_ENV=test: only production sends HSTS
    assert not [h for h in r.headers if h.lower().startswith("access-control-")]


async def test_api_answers_carry_the_headers_and_no_cors(platform):
    async with httpx.AsyncClient(timeout=20) as http:
        for r in (
            await http.get(f"{platform.api_url}/health", headers={"Origin": SHOP}),
            await http.get(f"{platform.api_url}/api/v1/wallet", headers={"Origin": SHOP}),  # a 401
            await http.get(f"{platform.api_url}/checkout.js", headers={"Origin": SHOP}),
        ):
            _common(r)
            assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
            assert r.headers["X-Frame-Options"] == "DENY"
        # FastAPI's own docs page loads Swagger UI from its CDN: a policy of its own, still unframeable
        docs = await http.get(f"{platform.api_url}/docs")
        _common(docs)
        assert "https://cdn.jsdelivr.net" in docs.headers["Content-Security-Policy"]
        assert docs.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
        # a preflight to the API is not answered with CORS either
        pre = await http.options(
            f"{platform.api_url}/api/v1/pay",
            headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"},
        )
        _common(pre)


async def test_checkout_page_runs_by_nonce_and_is_framed_only_by_registered_origins(checkout):
    r = await checkout.http.get(checkout.page(), headers={"Origin": OTHER})
    assert r.status_code == 200, r.text
    _common(r)
    csp = r.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]+)'", csp).group(1)  # type: ignore[union-attr]
    assert f"style-src 'nonce-{nonce}'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert csp.endswith(f"frame-ancestors {SHOP} http://127.0.0.1:8970")
    assert "X-Frame-Options" not in r.headers  # frame-ancestors decides
    # every inline script and style of the page carries the nonce; no inline handler or style attribute
    html = r.text
    assert html.count("<style") == html.count(f'<style nonce="{nonce}"')
    assert html.count("<script") == html.count(f'<script nonce="{nonce}"')
    assert not re.search(r"\son[a-z]+=|\sstyle=", html)
    # each response has a nonce of its own
    again = await checkout.http.get(checkout.page())
    assert nonce not in again.headers["Content-Security-Policy"]


async def test_checkout_of_a_merchant_without_origins_may_not_be_framed(platform, session):
    async for c in _order(platform, session, []):
        r = await c.http.get(c.page())
        assert r.status_code == 200
        assert r.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
        bad = await c.http.get(c.page(key="wrong"))
        assert bad.status_code == 404
        assert bad.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")


async def test_cors_only_for_the_merchants_registered_origins(checkout):
    allowed = await checkout.http.get(checkout.status(), headers={"Origin": SHOP})
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers

    refused = await checkout.http.get(checkout.status(), headers={"Origin": OTHER})
    assert refused.status_code == allowed.status_code  # answered, but the browser may not read it
    _common(refused)

    preflight = {"Origin": SHOP, "Access-Control-Request-Method": "POST"}
    ok = await checkout.http.options(f"{checkout.api}/checkout/{checkout.order_id}/pay", headers=preflight)
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == SHOP
    assert ok.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert ok.headers["Access-Control-Allow-Headers"] == "Content-Type"

    for headers in (
        {"Origin": OTHER, "Access-Control-Request-Method": "POST"},
        {"Origin": SHOP, "Access-Control-Request-Method": "DELETE"},
    ):
        no = await checkout.http.options(f"{checkout.api}/checkout/{checkout.order_id}/pay", headers=headers)
        assert no.status_code == 403
        _common(no)
    # an unknown order has no registered origins
    unknown = await checkout.http.get(
        f"{checkout.api}/checkout/order_none/payments/x/status", headers={"Origin": SHOP}
    )
    _common(unknown)


async def test_operators_register_checkout_origins(platform, session):
    new = await create_merchant(session)
    async with admin_client(platform) as admin:
        path = f"/api/v1/admin/merchants/{new.client.id}"
        for bad in (
            ["https://shop.example.in/path"],
            ["*"],
            ["https://*.example.in"],
            ["javascript:alert(1)"],
            ["https://a.example.in 'unsafe-inline'"],
        ):
            r = await admin.patch(path, json={"checkout_origins": bad})
            assert r.status_code == 422, (bad, r.text)
        r = await admin.patch(
            path, json={"checkout_origins": ["HTTPS://Shop.Example.in:443", "http://localhost:3000"]}
        )
        assert r.status_code == 200, r.text
        assert r.json()["checkout_origins"] == [SHOP, "http://localhost:3000"]
    row = (
        await session.scalars(
            select(AuditLog).where(
                AuditLog.action == "merchant.settings_updated", AuditLog.client_id == new.client.id
            )
        )
    ).one()
    assert row.before == {"checkout_origins": []}
    assert row.after == {"checkout_origins": [SHOP, "http://localhost:3000"]}


@pytest.mark.fast
async def test_hsts_only_where_configured_and_page_policy_for_html():
    async def page(_):  # type: ignore[no-untyped-def]
        return HTMLResponse("<p>hi</p>")

    async def data(_):  # type: ignore[no-untyped-def]
        return JSONResponse({})

    inner = Starlette(routes=[Route("/page", page), Route("/data", data)])
    for hsts, expected in ((31_536_000, "max-age=31536000"), (None, None)):
        app = SecurityHeadersMiddleware(inner, hsts_max_age=hsts)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            r = await http.get("/page")
            assert r.headers.get("Strict-Transport-Security") == expected
            assert r.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")
            assert r.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
            assert (await http.get("/data")).headers["Content-Security-Policy"] == (
                "default-src 'none'; frame-ancestors 'none'"
            )
