"""`/health` and `/api/health` (seed 003's path): PostgreSQL and Redis reachable, 200 or 503, no auth, each
dependency given LSP_HEALTH_TIMEOUT_SECONDS; and Prometheus `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lightspeedpay.kit.responses import json_response
from lightspeedpay.monitoring.metrics import content_type, metrics_service
from lightspeedpay.monitoring.schemas import HealthOut
from lightspeedpay.monitoring.service import health_checks

router = APIRouter(tags=["monitoring"])

_HEALTH_DOC = {
    "response_model": HealthOut,
    "responses": {
        503: {"description": "a dependency does not answer (the body says which)", "model": HealthOut}
    },
    "summary": "Whether PostgreSQL and Redis answer (200) or not (503); no auth, answers within a few seconds",
}


@router.get("/health", **_HEALTH_DOC)  # type: ignore[arg-type]
async def health() -> Response:
    checks = await health_checks()
    ok = all(v == "ok" for v in checks.values())
    return json_response(
        {"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503
    )


router.add_api_route("/api/health", health, methods=["GET"], **_HEALTH_DOC)  # type: ignore[arg-type]


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus text format: every process of this host (api workers, queue workers, scheduler) summed, and
    queue, intent and breaker figures read at scrape time. Unauthenticated, like /health: expose it only to
    the scraper's network."""
    return Response(await metrics_service.render(), media_type=content_type())
