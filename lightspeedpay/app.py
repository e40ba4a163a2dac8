"""The FastAPI application: routers, error handlers, lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from lightspeedpay import __version__, errors
from lightspeedpay.config import get_settings
from lightspeedpay.kit import http
from lightspeedpay.kit import logging as lsp_logging


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
        description="Payment aggregation: one integration, a pool of PSPs. Merchant requests are signed with "
                    "X-Client-Key, X-Timestamp and X-Signature (see the README).",
    )
    errors.install(app)
    from lightspeedpay.gateways.admin_api import router as admin_gateways_router
    from lightspeedpay.monitoring.api import router as monitoring_router
    from lightspeedpay.payments.api import router as payments_router
    from lightspeedpay.psp_events.api import router as psp_router

    app.include_router(payments_router)
    app.include_router(psp_router)
    app.include_router(monitoring_router)
    app.include_router(admin_gateways_router)
    return app
