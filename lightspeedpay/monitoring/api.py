"""`/health` (PostgreSQL and Redis reachable) and Prometheus `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lightspeedpay.kit.responses import json_response
from lightspeedpay.monitoring.service import health_checks

router = APIRouter(tags=["monitoring"])


@router.get("/health")
async def health() -> Response:
    checks = await health_checks()
    ok = all(v == "ok" for v in checks.values())
    return json_response(
        {"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
