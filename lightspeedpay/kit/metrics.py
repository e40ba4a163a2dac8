"""The platform's own Prometheus counters and histograms, written by whichever process does the work (api, worker,
scheduler). Under prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by the CLI before a
process starts: monitoring/metrics.py) every process writes its own file and `/metrics` sums them, so a count is
right whichever uvicorn worker answers the scrape and the workers' counts reach it too.

A change that commits with a database transaction is counted only once that transaction has committed
(`on_commit`): a rolled-back job that runs again is not counted twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PSP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)

PAYMENTS = Counter(
    "lsp_payments",
    "Payments that reached a status (every forward status change, `created` included), by gateway and provider.",
    ["status", "gateway", "provider"],
)
INITIATION_SECONDS = Histogram(
    "lsp_payment_initiation_seconds",
    "Time to initiate a payment (POST /api/v1/pay, /v1/orders' payments, the checkout), by outcome: `created` "
    "or the refusal's error code.",
    ["outcome"],
    buckets=_LATENCY_BUCKETS,
)
PSP_CALL_SECONDS = Histogram(
    "lsp_psp_call_seconds",
    "Duration of HTTP calls to a PSP, by gateway, provider and outcome (http_2xx, http_4xx, http_5xx, timeout, "
    "unreachable).",
    ["gateway", "provider", "outcome"],
    buckets=_PSP_BUCKETS,
)
WEBHOOK_DELIVERIES = Counter(
    "lsp_webhook_deliveries",
    "Merchant webhook delivery attempts by outcome: delivered, retry_scheduled, failed (for good), "
    "endpoint_disabled; manual retries and pings as manual_delivered / manual_failed.",
    ["outcome"],
)
JOBS = Counter("lsp_jobs", "Job intents run by the workers, by task and result.", ["task", "result"])
PROCESSES = Gauge(
    "lsp_processes",
    "Live platform processes on this host, by kind (api: one per uvicorn worker).",
    ["kind"],
    multiprocess_mode="livesum",
)

_ON_COMMIT = "lsp_metrics_on_commit"


def on_commit(session: Any, count: Callable[[], None]) -> None:
    """Run `count` once `session`'s transaction has committed (dropped on a rollback). `session`: an AsyncSession
    or a Session (AsyncSession.info is its Session's)."""
    session.info.setdefault(_ON_COMMIT, []).append(count)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for count in session.info.pop(_ON_COMMIT, ()):
        count()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_ON_COMMIT, None)


def psp_outcome(status_code: int | None, *, timeout: bool = False) -> str:
    if timeout:
        return "timeout"
    if status_code is None:
        return "unreachable"
    return f"http_{status_code // 100}xx"
