"""What `/health` reports: whether PostgreSQL and Redis answer."""

from __future__ import annotations

from lightspeedpay.jobs import queues
from lightspeedpay.monitoring.repository import ping_database


async def health_checks() -> dict[str, str]:
    """ "ok" or the error's type per dependency; never raises (a health check reports, it does not fail)."""
    checks: dict[str, str] = {}
    try:
        await ping_database()
        checks["postgresql"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["postgresql"] = f"error: {type(exc).__name__}"
    try:
        await queues.redis_client().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    return checks
