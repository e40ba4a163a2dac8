"""The FastAPI application: routers, error handlers, lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

# tasks: the handlers' registry tells enqueue which queue each job runs on
from lightspeedpay import __version__, http_errors, tasks  # noqa: F401
from lightspeedpay.api import router as api_router
from lightspeedpay.config import get_settings
from lightspeedpay.db import engine
from lightspeedpay.jobs import queues
from lightspeedpay.kit import http, metrics
from lightspeedpay.kit import logging as lsp_logging
from lightspeedpay.kit.parsing import require_json_media_type
from lightspeedpay.kit.request_context import RequestContextMiddleware
from lightspeedpay.monitoring.metrics import process_exited
from lightspeedpay.razorpay_compat import errors as razorpay_errors
from lightspeedpay.streams.hub import hub as stream_hub
from lightspeedpay.url_guard import RejectNulInUrl


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    metrics.PROCESSES.labels("api").set(1)
    yield
    process_exited()
    await stream_hub.close()
    await queues.close()
    await http.close()
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
    app.add_middleware(RejectNulInUrl)
    # outermost: every answer, an error included, carries the request id, and every log line names it
    app.add_middleware(RequestContextMiddleware)
    http_errors.register_surface("/v1/", razorpay_errors.render)
    app.include_router(api_router)
    return app
