"""The FastAPI application: routers, error handlers, lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

# tasks: the handlers' registry tells enqueue which queue each job runs on
from lightspeedpay import __version__, http_errors, tasks  # noqa: F401
from lightspeedpay.api import router as api_router
from lightspeedpay.checkout.cors import CheckoutCorsMiddleware
from lightspeedpay.config import get_settings
from lightspeedpay.dashboard import errors as console_errors
from lightspeedpay.dashboard import web as console_web
from lightspeedpay.dashboard.static_files import console_static
from lightspeedpay.db import close_hot_pool, engine
from lightspeedpay.jobs import queues
from lightspeedpay.kit import http, metrics
from lightspeedpay.kit import logging as lsp_logging
from lightspeedpay.kit.parsing import require_json_media_type
from lightspeedpay.kit.request_context import RequestContextMiddleware
from lightspeedpay.kit.security_headers import SecurityHeadersMiddleware
from lightspeedpay.monitoring.metrics import process_exited
from lightspeedpay.payments import api as payments_api
from lightspeedpay.payments.lane import PayLane, pay_route
from lightspeedpay.ratelimit.limiter import rate_limiter
from lightspeedpay.razorpay_compat import errors as razorpay_errors
from lightspeedpay.streams.hub import hub as stream_hub
from lightspeedpay.url_guard import RejectNulInUrl
from lightspeedpay.usage.recorder import UsageMiddleware, flushing


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    metrics.PROCESSES.labels("api").set(1)
    async with flushing():  # API usage counts reach their rollup every few seconds, and at shutdown
        yield
    process_exited()
    await rate_limiter.close()
    await stream_hub.close()
    await queues.close()
    await http.close()
    await close_hot_pool()
    await engine().dispose()


def create_app() -> FastAPI:
    settings = get_settings()
    settings.check_production()
    lsp_logging.configure(json=settings.log_json, level=settings.log_level)
    app = FastAPI(
        title="LightSpeedPay API",
        version=__version__,
        lifespan=lifespan,
        description="Payment aggregation: one integration, a pool of PSPs. Two faces of one payments domain: "
        "the native API under `/api/v1` (requests signed with X-Client-Key, X-Timestamp and "
        "X-Signature; see the README) and a Razorpay-compatible API under `/v1` (HTTP Basic auth with "
        "your client_key and client_salt, Razorpay's entities and error body), so a Razorpay client "
        "library pointed at this base URL works. Every POST takes an `Idempotency-Key`.",
        # a body sent to a JSON route must be declared JSON (415 otherwise), on every route of both faces
        dependencies=[Depends(require_json_media_type)],
    )
    http_errors.install(app)
    # innermost first: POST /api/v1/pay answered without FastAPI's routing (payments/lane.py)
    app.add_middleware(PayLane, route=pay_route(payments_api.router.routes), handler=payments_api.pay)
    # usage counting sees the matched route and the merchant the request acted for
    app.add_middleware(UsageMiddleware)
    app.add_middleware(CheckoutCorsMiddleware)  # the only CORS: the checkout, for registered origins
    app.add_middleware(RejectNulInUrl)
    # security headers and the rate limiter's RateLimit-* fields on every answer, a refusal included
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts_max_age=settings.hsts_max_age_seconds if settings.env == "production" else None,
    )
    # outermost: every answer, an error included, carries the request id, and every log line names it
    app.add_middleware(RequestContextMiddleware)
    http_errors.register_surface("/v1/", lambda _, exc: razorpay_errors.render(exc))
    http_errors.register_surface("/admin/", console_errors.render)
    http_errors.register_surface("/dashboard/", console_errors.render)  # the merchant console
    http_errors.register_surface("/auth/", console_errors.render)  # the account pages
    app.include_router(api_router)
    app.mount(console_web.STATIC_PREFIX, console_static(), name="admin-static")
    return app
