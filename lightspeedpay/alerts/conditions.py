"""The conditions alerts are raised for, each with its dedup key and words: written once here and used both by
the code that notices a condition as it happens (a breaker tripping) and by the rule that checks it later."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lightspeedpay.models.alert import AlertKind, AlertSeverity


@dataclass(frozen=True)
class Condition:
    """One condition that holds now; `dedup_key` names it (one unresolved alert per key)."""

    dedup_key: str
    title: str
    message: str
    severity: str = AlertSeverity.WARNING
    details: dict[str, Any] = field(default_factory=dict)
    gateway_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def gateway_down_key(gateway_id: uuid.UUID) -> str:
    return f"{AlertKind.GATEWAY_DOWN}:{gateway_id}"


def gateway_down(
    gateway_id: uuid.UUID, name: str, *, failures: int, since: datetime | None = None
) -> Condition:
    return Condition(
        dedup_key=gateway_down_key(gateway_id),
        title=f"Gateway {name} is down",
        message=f"Gateway {name} tripped its breaker after {failures} technical failures in a row; payments "
        "go to the other gateways until its PSP answers the health probe again.",
        severity=AlertSeverity.CRITICAL,
        details={
            "gateway": name,
            "consecutive_failures": failures,
            "tripped_at": since.isoformat() if since else None,
        },
        gateway_id=gateway_id,
    )


def failure_rate(
    *,
    failed: int,
    decided: int,
    window_minutes: float,
    threshold: float,
    gateway_id: uuid.UUID | None = None,
    gateway: str | None = None,
    by_gateway: list[dict[str, Any]] | None = None,
) -> Condition:
    rate = percent(failed, decided)
    scope = f"on gateway {gateway}" if gateway else "overall"
    details: dict[str, Any] = {
        "failure_rate_percent": rate,
        "failed": failed,
        "decided": decided,
        "window_minutes": window_minutes,
        "threshold_percent": threshold,
    }
    if gateway:
        details["gateway"] = gateway
    if by_gateway is not None:
        details["by_gateway"] = by_gateway
    return Condition(
        dedup_key=f"{AlertKind.PAYMENT_FAILURE_RATE}:{f'gateway:{gateway_id}' if gateway_id else 'all'}",
        title=f"Payment failure rate {scope} is over {threshold:g}%",
        message=f"{failed} of the {decided} payments decided in the last {window_minutes:g} minutes failed "
        f"{scope} ({rate:g}%, threshold {threshold:g}%).",
        severity=AlertSeverity.CRITICAL,
        details=details,
        gateway_id=gateway_id,
    )


def payments_pending(
    *, count: int, minutes: float, oldest: datetime, by_gateway: list[dict[str, Any]]
) -> Condition:
    return Condition(
        dedup_key=f"{AlertKind.PAYMENTS_PENDING}:all",
        title=f"{count} payment{'s' if count != 1 else ''} waiting longer than {minutes:g} minutes",
        message=f"{count} payment{'s are' if count != 1 else ' is'} still created or pending more than "
        f"{minutes:g} minutes after initiation (the oldest since {oldest.isoformat()}).",
        severity=AlertSeverity.WARNING,
        details={
            "count": count,
            "sla_minutes": minutes,
            "oldest": oldest.isoformat(),
            "by_gateway": by_gateway,
        },
    )


def queue_backlog(
    queue: str, *, waiting: int, oldest_age_seconds: float | None, max_waiting: int, max_age_seconds: float
) -> Condition:
    age = f"{oldest_age_seconds:.0f} s" if oldest_age_seconds is not None else "n/a"
    return Condition(
        dedup_key=f"{AlertKind.QUEUE_BACKLOG}:{queue}",
        title=f"Queue {queue} is backed up",
        message=f"{waiting} jobs are waiting in {queue} (limit {max_waiting}); the oldest has waited {age} "
        f"(limit {max_age_seconds:g} s). Are its workers running, or is the queue paused?",
        severity=AlertSeverity.WARNING,
        details={
            "queue": queue,
            "waiting": waiting,
            "oldest_waiting_seconds": round(oldest_age_seconds, 1)
            if oldest_age_seconds is not None
            else None,
            "max_waiting": max_waiting,
            "max_oldest_waiting_seconds": max_age_seconds,
        },
    )


def job_failed(
    name: str, *, queue: str, count: int, last_failed_at: datetime, last_error: str | None
) -> Condition:
    return Condition(
        dedup_key=f"{AlertKind.JOB_FAILED}:{name}",
        title=f"{count} {name} job{'s' if count != 1 else ''} failed for good",
        message=f"{count} job intent{'s' if count != 1 else ''} of {name} (queue {queue}) used up "
        f"{'their' if count != 1 else 'its'} attempts; retry or discard {'them' if count != 1 else 'it'}. "
        f"Last error: {(last_error or 'none recorded')[:300]}",
        severity=AlertSeverity.CRITICAL,
        details={
            "job": name,
            "queue": queue,
            "failed": count,
            "last_failed_at": last_failed_at.isoformat(),
            "last_error": (last_error or "")[:1000] or None,
        },
    )


LEDGER_KEY = f"{AlertKind.LEDGER_INVARIANT}:ledger"


def ledger_broken(violations: list[dict[str, Any]], counts: dict[str, int]) -> Condition:
    """One alert for the ledger however many rows break it (the details list the first ones)."""
    total = sum(counts.values())
    lines = [f"• {v['check']}: {v['message']}" for v in violations[:10]]
    more = f"\n… and {total - len(lines)} more" if total > len(lines) else ""
    return Condition(
        dedup_key=LEDGER_KEY,
        title=f"Ledger invariants broken ({total} violation{'s' if total != 1 else ''})",
        message="`lightspeedpay ledger check` finds:\n" + "\n".join(lines) + more,
        severity=AlertSeverity.CRITICAL,
        details={"violations": total, "by_check": counts, "first": violations[:50]},
    )


def webhook_endpoint_disabled_key(endpoint_id: uuid.UUID) -> str:
    return f"{AlertKind.WEBHOOK_ENDPOINT_DISABLED}:{endpoint_id}"


def webhook_endpoint_disabled(
    endpoint_id: uuid.UUID, *, client_id: uuid.UUID, url: str, reason: str, consecutive_failures: int
) -> Condition:
    return Condition(
        dedup_key=webhook_endpoint_disabled_key(endpoint_id),
        title=f"A merchant's webhook endpoint was disabled: {reason}",
        message=f"Webhook endpoint {url} of merchant {client_id} was disabled: {reason}. The merchant gets no "
        "events there until it is enabled again.",
        severity=AlertSeverity.WARNING,
        details={
            "endpoint_id": str(endpoint_id),
            "url": url,
            "reason": reason,
            "consecutive_failures": consecutive_failures,
        },
        client_id=client_id,
    )


def merchant_suspended(
    client_id: uuid.UUID, *, company_name: str, reason: str | None, balance_due: int, suspend_threshold: int
) -> Condition:
    why = (
        f"commission due ₹{balance_due / 100:,.2f} reached the limit ₹{suspend_threshold / 100:,.2f}"
        if reason == "dues"
        else f"reason: {reason or 'not recorded'}"
    )
    return Condition(
        dedup_key=f"{AlertKind.MERCHANT_SUSPENDED}:{client_id}",
        title=f"Merchant {company_name} is suspended",
        message=f"Merchant {company_name} ({client_id}) is suspended ({why}); its new payments are refused.",
        severity=AlertSeverity.WARNING,
        details={
            "company_name": company_name,
            "suspension_reason": reason,
            "balance_due": balance_due,
            "suspend_threshold": suspend_threshold,
        },
        client_id=client_id,
    )


def worker_down(
    worker_id: str, *, host: str, pid: int, queues: list[str], last_beat_at: datetime, beat_seconds: float
) -> Condition:
    return Condition(
        dedup_key=f"{AlertKind.WORKER_DOWN}:{worker_id}",
        title=f"Worker {host}:{pid} is down",
        message=f"Worker {worker_id} (queues: {', '.join(queues)}) has not beaten since "
        f"{last_beat_at.isoformat(timespec='seconds')} (it beats every {beat_seconds:g} s) and did not say it "
        "stopped; its jobs go to the other workers of its queues once their locks expire. Restart it.",
        severity=AlertSeverity.CRITICAL,
        details={
            "worker_id": worker_id,
            "host": host,
            "pid": pid,
            "queues": queues,
            "last_beat_at": last_beat_at.isoformat(),
        },
    )


def scheduler_down(*, last_beat_at: datetime | None, silent: list[str]) -> Condition:
    since = f"since {last_beat_at.isoformat(timespec='seconds')}" if last_beat_at else "ever"
    return Condition(
        dedup_key=str(AlertKind.SCHEDULER_DOWN),
        title="No scheduler is running",
        message=f"No scheduler has led {since} and none stands by: the outbox sweeper, settlements, the "
        "janitor, the ledger check and the alert rules are not running. Start `lightspeedpay scheduler` "
        "(two for failover).",
        severity=AlertSeverity.CRITICAL,
        details={"last_beat_at": last_beat_at.isoformat() if last_beat_at else None, "silent": silent},
    )
