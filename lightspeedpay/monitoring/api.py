"""`/health` and `/api/health` (seed 003's path): PostgreSQL and Redis reachable, 200 or 503, no auth, each
dependency given LSP_HEALTH_TIMEOUT_SECONDS; and Prometheus `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lightspeedpay.kit.responses import json_response
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
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
