"""The payer's side: `/checkout/{order_id}` (hosted page, also inside checkout.js's modal) and `/checkout.js`."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from lightspeedpay.checkout.service import CheckoutOrder, checkout_service
from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError
from lightspeedpay.kit.money import format_inr
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models.order import OrderStatus
from lightspeedpay.payments.service import payment_service
from lightspeedpay.sessions import ReadSession

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(tags=["checkout"])


def _origin(value: str | None) -> str | None:
    """The embedding page's origin, to address postMessage to it alone."""
    if value and value.startswith(("http://", "https://")) and value.count("/") == 2:
        return value
    return None


def _page(
    request: Request,
    name: str,
    context: dict[str, object],
    status_code: int = 200,
    *,
    frame_origins: Sequence[str] = (),
) -> HTMLResponse:
    """A checkout page under its own Content-Security-Policy: its one inline script and style run by a nonce made
    for this response, and only the merchant's registered origins may frame it (checkout.js's modal)."""
    nonce = secrets.token_urlsafe(18)
    response = templates.TemplateResponse(
        request, name, {**context, "csp_nonce": nonce}, status_code=status_code
    )
    response.headers["content-security-policy"] = checkout_csp(nonce, frame_origins)
    response.headers["cache-control"] = "no-store"
    return response


def checkout_csp(nonce: str, frame_origins: Sequence[str]) -> str:
    ancestors = " ".join(frame_origins) if frame_origins else "'none'"
    return (
        f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {ancestors}"
    )


def _error_page(request: Request, exc: AppError, frame_origins: Sequence[str] = ()) -> HTMLResponse:
    return _page(
        request,
        "error.html",
        {"message": exc.message},
        status_code=exc.status_code,
        frame_origins=frame_origins,
    )


@router.get("/checkout.js", include_in_schema=False)
async def checkout_js() -> Response:
    # loaded with a plain <script src>, which needs no CORS header
    return FileResponse(
        HERE / "static" / "checkout.js",
        media_type="application/javascript",
        headers={"cache-control": "public, max-age=300"},
    )


@router.get("/checkout/{order_id}", response_class=HTMLResponse, summary="Hosted checkout page for an order")
async def checkout_page(
    request: Request,
    order_id: str,
    session: ReadSession,
    key: str = "",
    embed: bool = False,
    origin: str | None = None,
    redirect_url: str | None = None,
) -> HTMLResponse:
    try:
        co = await checkout_service.order(session, order_id, key)
    except AppError as exc:
        return _error_page(request, exc)
    return _page(
        request,
        "checkout.html",
        _context(co, key=key, embed=embed, origin=_origin(origin), redirect_url=redirect_url),
        frame_origins=co.client.checkout_origins,
    )


def _context(co: CheckoutOrder, **extra: object) -> dict[str, object]:
    return {
        "order": co.order,
        "merchant": co.client.company_name,
        "amount": format_inr(co.order.amount),
        "methods": co.methods,
        "paid": co.order.status == OrderStatus.PAID,
        **extra,
    }


@router.post("/checkout/{order_id}/pay", include_in_schema=False)
async def start_payment(
    request: Request,
    order_id: str,
    session: ReadSession,
    key: Annotated[str, Form()] = "",
    embed: Annotated[str, Form()] = "",
    origin: Annotated[str, Form()] = "",
    redirect_url: Annotated[str, Form()] = "",
) -> Response:
    query = urlencode(
        {
            "key": key,
            "embed": "1" if embed in ("1", "true") else "0",
            "origin": _origin(origin) or "",
            "redirect_url": redirect_url,
        }
    )
    try:
        co = await checkout_service.order(session, order_id, key)
        # the PSP sends the payer back to /return, which finds this payment
        back = f"{get_settings().public_base_url}/checkout/{quote(order_id)}/return?{query}"
    except AppError as exc:
        return _error_page(request, exc)
    try:
        started = await payment_service.start_for_order(co.order.public_id, redirect_url=back)
    except AppError as exc:
        return _error_page(request, exc, co.client.checkout_origins)
    return RedirectResponse(
        f"/checkout/{quote(order_id)}/payments/{started.payment_id}?{query}&go=1", status_code=303
    )


@router.get("/checkout/{order_id}/return", include_in_schema=False)
async def payer_returns(
    request: Request,
    order_id: str,
    session: ReadSession,
    key: str = "",
    embed: str = "",
    origin: str = "",
    redirect_url: str = "",
) -> Response:
    try:
        co = await checkout_service.order(session, order_id, key)
        payment_id = await checkout_service.latest_payment_id(session, co)
    except AppError as exc:
        return _error_page(request, exc)
    query = urlencode(
        {
            "key": key,
            "embed": "1" if embed in ("1", "true") else "0",
            "origin": _origin(origin) or "",
            "redirect_url": redirect_url,
        }
    )
    return RedirectResponse(f"/checkout/{quote(order_id)}/payments/{payment_id}?{query}", status_code=303)


@router.get(
    "/checkout/{order_id}/payments/{payment_id}", response_class=HTMLResponse, include_in_schema=False
)
async def payment_page(
    request: Request,
    order_id: str,
    payment_id: str,
    session: ReadSession,
    key: str = "",
    embed: bool = False,
    origin: str | None = None,
    redirect_url: str | None = None,
    go: bool = False,
) -> HTMLResponse:
    """Waits for the PSP order and sends the payer to the PSP's page (go=1); when the payer comes back, waits
    for the outcome and reports it (to the embedding page by postMessage, or by redirect)."""
    try:
        co = await checkout_service.order(session, order_id, key)
        progress = await checkout_service.progress(session, co, payment_id)
    except AppError as exc:
        return _error_page(request, exc)
    query = urlencode(
        {"key": key, "embed": int(embed), "origin": _origin(origin) or "", "redirect_url": redirect_url or ""}
    )
    return _page(
        request,
        "payment.html",
        frame_origins=co.client.checkout_origins,
        context=_context(
            co,
            key=key,  # for the "Try again" link back to the checkout
            payment_id=payment_id,
            progress=progress.as_json(order_id, payment_id),
            go=go,
            embed=embed,
            origin=_origin(origin),
            redirect_url=redirect_url or "",
            status_url=f"/checkout/{quote(order_id)}/payments/{quote(payment_id)}/status?{query}",
        ),
    )


@router.get("/checkout/{order_id}/payments/{payment_id}/status", include_in_schema=False)
async def payment_status(order_id: str, payment_id: str, session: ReadSession, key: str = "") -> Response:
    co = await checkout_service.order(session, order_id, key)
    progress = await checkout_service.progress(session, co, payment_id)
    return json_response(progress.as_json(order_id, payment_id), headers={"cache-control": "no-store"})
