"""What the simulator's PSP routers share: state and account look-up, form bodies, and the pages a payer sees."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lightspeedpay.gateways.simulator.state import Account, Order, SimulatorState


def sim(request: Request) -> SimulatorState:
    return request.app.state.sim


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def provider_account(request: Request, key_id: str, provider: str) -> Account | None:
    """The account with this key, if it belongs to this PSP: one PSP's keys never open another's API."""
    account = sim(request).account(key_id) if key_id else None
    return account if account is not None and account.provider == provider else None


def basic_auth_account(request: Request, provider: str) -> Account | None:
    """HTTP Basic `key_id:key_secret`, as the sandbox and Razorpay take it."""
    header = request.headers.get("authorization", "")
    try:
        key_id, _, secret = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
    except ValueError:
        return None
    account = provider_account(request, key_id, provider)
    return account if account is not None and account.key_secret == secret else None


async def form_fields(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (hosted forms, PayU's API) as a plain dict."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def rupees_label(amount: int) -> str:
    return f"₹{amount / 100:,.2f}"


_PAYER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{psp} payment</title>
<style>body{{font-family:system-ui,sans-serif;max-width:420px;margin:40px auto;color:#1f2937}}
.card{{border:1px solid #e5e7eb;border-radius:12px;padding:24px;box-shadow:0 1px 3px #0001}}
.amt{{font-size:32px;font-weight:600;margin:8px 0 20px}} button{{width:100%;padding:12px;margin:6px 0;border:0;
border-radius:8px;font-size:16px;cursor:pointer}} .ok{{background:#16a34a;color:#fff}} .no{{background:#dc2626;color:#fff}}
small{{color:#6b7280}}</style></head><body><div class="card"><small>{psp} (LightSpeedPay PSP simulator)</small>
<div class="amt">{amount}</div><div>Order {order_id}</div><div><small>{status}</small></div>
<form method="post" action="{action}"><button class="ok" name="outcome" value="success">Pay successfully</button>
<button class="no" name="outcome" value="failure">Fail the payment</button></form></div></body></html>"""


def payer_page(*, psp: str, amount: int, order_id: str, status: str, action: str = "") -> HTMLResponse:
    """The hosted page where a payer chooses to succeed or fail; it posts `outcome` to `action`."""
    return HTMLResponse(
        _PAYER_PAGE.format(
            psp=html.escape(psp),
            amount=rupees_label(amount),
            order_id=html.escape(order_id),
            status=html.escape(status),
            action=html.escape(action),
        )
    )


def autosubmit_page(action: str, fields: Mapping[str, str], *, title: str = "Redirecting") -> HTMLResponse:
    """A page whose form posts itself, as PSPs hand a browser from one site to the next."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return HTMLResponse(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body onload="document.forms[0].submit()"><form method="post" action="{html.escape(action)}">'
        f"{inputs}<noscript><button>Continue</button></noscript></form></body></html>"
    )


router = APIRouter()


@router.get("/_sim/launch")
async def launch_page(request: Request) -> HTMLResponse:
    """GET `?action=...&field=...`: post those fields to `action`, which must be on this simulator.
    PayU's and Razorpay's hosted checkouts begin with such a browser form post."""
    query = dict(request.query_params)
    action = query.pop("action", "")
    if urlsplit(action).netloc != urlsplit(base_url(request)).netloc:
        return HTMLResponse("<h1>Refusing to post a form off the simulator</h1>", status_code=400)
    return autosubmit_page(action, query, title="Opening checkout")


def finish_page(status: str) -> HTMLResponse:
    return HTMLResponse(f"<h1>Payment {html.escape(status)}</h1><p>You can close this window.</p>")


async def payer_choice(
    request: Request, order_id: str
) -> tuple[SimulatorState, Order, Account, str] | HTMLResponse:
    """The order, its account and the payer's outcome from a hosted page's form, or the error page."""
    state, outcome = sim(request), (await form_fields(request)).get("outcome", "")
    order = state.orders.get(order_id)
    account = state.account(order.key_id) if order else None
    if order is None or account is None or outcome not in ("success", "failure"):
        return HTMLResponse("<h1>No such order, or no outcome chosen</h1>", status_code=400)
    return state, order, account, outcome
