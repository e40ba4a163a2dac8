"""The FastAPI application: routers, error handlers, lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from lightspeedpay import __version__, errors
from lightspeedpay.config import get_settings
from lightspeedpay.kit import http
from lightspeedpay.kit import logging as lsp_logging
from lightspeedpay.kit.parsing import require_json_media_type
from lightspeedpay.kit.url_guard import RejectNulInUrl


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    from lightspeedpay.db import engine
    from lightspeedpay.jobs import queues

    await queues.close()
    await http.close()
    await engine().dispose()


def create_app() -> FastAPI:
    settings = get_settings()
    settings.check_production()
    lsp_logging.configure(json=settings.log_json, level=settings.log_level)
    app = FastAPI(
        title="LightSpeedPay API", version=__version__, lifespan=lifespan,
        description="Payment aggregation: one integration, a pool of PSPs. Two faces of one payments domain: "
                    "the native API under `/api/v1` (requests signed with X-Client-Key, X-Timestamp and "
                    "X-Signature; see the README) and a Razorpay-compatible API under `/v1` (HTTP Basic auth with "
                    "your client_key and client_salt, Razorpay's entities and error body), so a Razorpay client "
                    "library pointed at this base URL works. Every POST takes an `Idempotency-Key`.",
        # a body sent to a JSON route must be declared JSON (415 otherwise), on every route of both faces
        dependencies=[Depends(require_json_media_type)],
    )
    errors.install(app)
    app.add_middleware(RejectNulInUrl)
    from lightspeedpay.razorpay_compat import errors as razorpay_errors

    errors.register_surface("/v1/", razorpay_errors.render)
    from lightspeedpay.gateways.admin_api import router as admin_gateways_router
    from lightspeedpay.monitoring.api import router as monitoring_router
    from lightspeedpay.payments.api import router as payments_router
    from lightspeedpay.psp_events.api import router as psp_router
    from lightspeedpay.razorpay_compat.api import router as razorpay_router
    from lightspeedpay.refunds.api import router as refunds_router

    app.include_router(payments_router)
    app.include_router(refunds_router)
    app.include_router(razorpay_router)
    app.include_router(psp_router)
    app.include_router(monitoring_router)
    app.include_router(admin_gateways_router)
    from lightspeedpay.ledger.admin_api import router as admin_ledger_router
    from lightspeedpay.merchants.admin_api import router as admin_merchants_router
    from lightspeedpay.merchants.api import router as wallet_router
    from lightspeedpay.notifications.api import admin_router as admin_whatsapp_router
    from lightspeedpay.notifications.api import router as whatsapp_router
    from lightspeedpay.settlements.admin_api import router as admin_settlements_router
    from lightspeedpay.settlements.api import router as settlements_router

    for router in (wallet_router, settlements_router, whatsapp_router, admin_ledger_router, admin_merchants_router,
                   admin_settlements_router, admin_whatsapp_router):
        app.include_router(router)
    from lightspeedpay.checkout.api import router as checkout_router

    app.include_router(checkout_router)
    from lightspeedpay.webhooks.api import router as merchant_webhooks_router

    app.include_router(merchant_webhooks_router)
    return app
