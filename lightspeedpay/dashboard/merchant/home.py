"""The merchant console's home: today's volume and success rate in this mode, the newest payments arriving live,
the dues against their thresholds, and what to do next (confirm the email, make a test payment, add a webhook,
finish KYC, go live). `/dashboard` opens the mode the merchant works in: live once KYC is approved, else test.

Also the console's live stream: the merchant's own payments in the page's mode (an EventSource sends no
headers, so the mode comes from the path rather than X-Mode)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import web
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import KycStatus
from lightspeedpay.payments.repository import transaction_repo
from lightspeedpay.payments.schemas import TransactionFilter
from lightspeedpay.payments.service import payment_service
from lightspeedpay.sessions import ReadSession
from lightspeedpay.streams.api import StreamResponse, stream_response
from lightspeedpay.streams.service import stream_service
from lightspeedpay.webhooks.endpoint_service import endpoint_service

router = APIRouter()
_ = web._lazy
Member = Annotated[MerchantAuth, merchant_page("settings:read")]
Streamer = Annotated[MerchantAuth, merchant_page("streams:read")]
IST = ZoneInfo("Asia/Kolkata")
RECENT = 8


@router.get("/dashboard", summary="The merchant console: opens the mode the merchant works in")
async def start(merchant: Member) -> RedirectResponse:
    mode = Mode.LIVE if merchant.kyc_status == KycStatus.ACTIVATED else Mode.TEST
    return RedirectResponse(web.merchant_base(mode), status_code=303)


async def _figures(session: AsyncSession, merchant: MerchantAuth, frame: web.Frame) -> dict[str, Any]:
    midnight = datetime.now(IST).replace(hour=0, minute=0, second=0, microsecond=0)
    today = await transaction_repo.summary_since(session, merchant.id, midnight, mode=merchant.mode)
    recent: list[Any] = []
    if frame.can("payments:read"):
        recent, _next = await payment_service.list(
            session, merchant, TransactionFilter(), limit=RECENT, cursor=None
        )
    return {"today": today, "recent": recent}


async def _next_steps(
    session: AsyncSession, merchant: MerchantAuth, frame: web.Frame
) -> list[dict[str, Any]]:
    """The onboarding checklist, each step done or not, with where to do it."""
    base = web.merchant_base(Mode.TEST)
    endpoints = (
        await endpoint_service.list_for_merchant(session, merchant) if frame.can("webhooks:read") else []
    )
    tested = bool(
        (await transaction_repo.latest(session, limit=1, client_id=merchant.id, mode=Mode.TEST))
        if frame.can("payments:read")
        else []
    )
    activated = merchant.kyc_status == KycStatus.ACTIVATED
    return [
        {
            "done": merchant.email_verified,
            "label": _("Confirm your email address"),
            "href": f"{base}/onboarding",
            "key": "email",
        },
        {
            "done": tested,
            "label": _("Make a test payment"),
            "href": f"{base}/onboarding#test-payment",
            "key": "test",
        },
        {
            "done": bool(endpoints),
            "label": _("Add a webhook endpoint"),
            "href": f"{base}/developers/webhooks",
            "key": "webhook",
        },
        {
            "done": merchant.kyc_status not in (KycStatus.DRAFT, KycStatus.NEEDS_CLARIFICATION),
            "label": _("Submit your business details (KYC)"),
            "href": f"{base}/onboarding#kyc",
            "key": "kyc",
        },
        {
            "done": activated,
            "label": _("Go live: approval of your KYC"),
            "href": f"{base}/onboarding#live",
            "key": "live",
        },
    ]


@router.get("/dashboard/{mode}", summary="The merchant console's home")
async def home(request: Request, merchant: Member, session: ReadSession) -> HTMLResponse:
    frame = web.frame(request, merchant)
    client, wallet = await merchant_service.account(session, merchant.id)
    context = {
        "f": await _figures(session, merchant, frame),
        "steps": await _next_steps(session, merchant, frame),
        "client": client,
        "wallet": wallet,
    }
    return web.page(request, "merchant/home.html", context, merchant=merchant)


@router.get("/dashboard/{mode}/home/live", summary="The home page's figures, for the live refresh")
async def home_live(request: Request, merchant: Member, session: ReadSession) -> HTMLResponse:
    frame = web.frame(request, merchant)
    return web.fragment(
        request,
        "merchant/_home_live.html",
        {"f": await _figures(session, merchant, frame)},
        merchant=merchant,
    )


@router.get(
    "/dashboard/{mode}/stream",
    response_class=StreamResponse,
    summary="Your payments in this mode, live (the console's one stream)",
)
async def stream(merchant: Streamer) -> StreamResponse:
    stream_service.check_capacity()
    return stream_response(stream_service.merchant_events(merchant.id, merchant.mode))
