"""Issue 8's chaos test, short form: a few hundred idempotent payments while the api, the worker and the scheduler
are SIGKILLed at random, the queue's Redis keys are wiped once and the PSP is down for a while; then 0 lost,
0 doubled, 0 orphaned, 0 answers changed, 0 × 500, nothing stuck, and a clean ledger. Select it with `-m chaos`;
the long form is `bench/chaos.py`. The driver and the verdict are in tests/chaos.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.kit.readiness import wait_http
from tests.chaos import Answer, ChaosConfig, Payment, client_answers, judge, run_chaos
from tests.factories import create_merchant, create_sandbox_gateway
from tests.fixtures import LOG_DIR, Platform

pytestmark = pytest.mark.chaos


@pytest.fixture
def chaos_platform(platform: Platform) -> Iterator[Platform]:
    """The platform, its api restarted with a 15 s idempotency lock (production: 90 s), the test clock's speed:
    a key whose request died with a killed api is free again within the short form's retry budget."""

    def restart_api() -> None:
        if "api" in platform.procs:
            platform.kill("api")
        platform.start("api", "api")
        wait_http(f"{platform.api_url}/health", 30)

    saved = platform.env.get("LSP_IDEMPOTENCY_LOCK_SECONDS")
    platform.env["LSP_IDEMPOTENCY_LOCK_SECONDS"] = "15"
    restart_api()
    try:
        yield platform
    finally:
        if saved is None:
            platform.env.pop("LSP_IDEMPOTENCY_LOCK_SECONDS")
        else:
            platform.env["LSP_IDEMPOTENCY_LOCK_SECONDS"] = saved
        for name in ("worker", "scheduler"):  # chaos may have left them restarted; make sure they run
            if name not in platform.procs or platform.procs[name].poll() is not None:
                platform.procs.pop(name, None)
                platform.start(name, name)
        restart_api()


async def test_payments_survive_kills_a_redis_wipe_and_a_psp_outage(chaos_platform, session):
    platform = chaos_platform
    new = await create_merchant(session, receiver_url=platform.receiver_url)
    gateways = [
        await create_sandbox_gateway(session, platform.simulator_url, auto_outcome="success")
        for _ in range(2)
    ]
    keys = [gateway_service.account(g).credentials["key_id"] for g in gateways]
    cfg = ChaosConfig(
        payments=200,
        concurrency=12,
        seconds=40,
        kill_every=8,
        outage_seconds=8,
        retry_for=60,
        # a PSP event for an order whose recording died with a killed worker retries (RetryLater) for the job
        # policy's whole budget, about 2 minutes on a quiet machine (a worker killed meanwhile and a loaded machine
        # stretch it), before it fails for good and is reported: settle well past it
        settle_seconds=300,
    )
    verdict, chaos = await run_chaos(platform, new.client.client_key, new.client_salt, keys, cfg)

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    results = LOG_DIR / f"chaos-{time.strftime('%Y%m%dT%H%M%S')}.json"
    results.write_text(
        json.dumps(
            {
                "counts": verdict.counts,
                "info": verdict.info,
                "examples": verdict.examples,
                "events": chaos.progress.events,
                "keys": client_answers(chaos.payments),
            },
            default=str,
            indent=1,
        )
    )
    assert not verdict.failed, f"chaos verdict (every answer in {results}):\n{verdict.describe()}"


# ---- the verdict's own rules, on hand-made answers and rows -----------------------------------------------


def _ok(txn: str) -> Answer:
    return Answer(1.0, 201, {"transaction_id": txn, "payment_id": "pay_x", "status": "created"})


def _err(status: int, code: str) -> Answer:
    return Answer(1.0, status, {"error": {"code": code, "message": "m"}})


def _payment(n: int, *answers: Answer) -> Payment:
    return Payment(key=f"k{n}", order_id=f"o{n}", body=b"{}", answers=list(answers))


def _txn(n: int, status: str = "paid", order: int | None = None) -> dict:
    return {
        "id": f"t{n}",
        "order_id": f"o{n if order is None else order}",
        "status": status,
        "error_code": None,
        "created": 100.0,
        "updated": 110.0,
    }


def _judge(payments, txns, intents=(), ledger=(), outage=None):
    return judge(payments, txns, list(intents), list(ledger), outage=outage, failure_grace=30)


def test_verdict_is_clean_for_retries_that_replay_the_first_payment():
    no_answer = Answer(0.5, None, error="ConnectError")
    payments = [
        _payment(1, no_answer, _err(409, "IDEMPOTENCY_KEY_IN_USE"), _ok("t1"), _ok("t1")),
        _payment(2, _err(503, "NO_GATEWAY_AVAILABLE"), _ok("t2")),
    ]
    verdict = _judge(
        payments,
        [_txn(1), _txn(2, "failed")],
        [{"status": "completed", "name": "x", "last_error": None, "n": 3}],
        outage=(105.0, 108.0),
    )
    assert not verdict.failed, verdict.describe()


def test_a_retry_answered_duplicate_order_id_is_an_orphan():
    payments = [_payment(1, Answer(0.5, None, error="RemoteProtocolError"), _err(409, "DUPLICATE_ORDER_ID"))]
    verdict = _judge(payments, [_txn(1)])
    assert verdict.failed == {"orphaned": 1, "never accepted": 1}


def test_answers_that_change_after_a_2xx_are_counted_once_per_key():
    payments = [
        _payment(1, _ok("t1"), _err(409, "IDEMPOTENCY_KEY_IN_USE")),
        _payment(2, _ok("t2"), _ok("t9")),
        _payment(3, _ok("t3"), Answer(2.0, None, error="ReadTimeout"), _ok("t3")),
    ]
    verdict = _judge(payments, [_txn(1), _txn(2), _txn(3)])
    assert verdict.failed == {"changed": 2}


def test_lost_doubled_500s_stuck_and_unexplained_failures():
    payments = [
        _payment(1, _ok("t1")),
        _payment(2, _err(500, "INTERNAL_ERROR"), _ok("t2")),
        _payment(3, _ok("t3")),
    ]
    txns = [_txn(2), _txn(3, "pending"), _txn(4, order=3), _txn(5, order=99), _txn(6, "failed", order=1)]
    intents = [
        {"status": "pending", "name": "payment.create_order", "last_error": None, "n": 2},
        {"status": "failed", "name": "webhook.deliver", "last_error": "gave up after 5", "n": 1},
    ]
    verdict = _judge(payments, txns, intents, ledger=[{"check": "c", "message": "m"}], outage=None)
    assert verdict.counts["lost"] == 1  # t1 answered, not in the database
    assert verdict.counts["orphaned"] == 1  # order o1 has t6, its key was answered t1
    assert verdict.counts["doubled"] == 2  # o3 twice, and o99 that no client asked for
    assert verdict.counts["500s"] == 1
    assert (
        verdict.counts["stuck"] == 3
    )  # t3 pending, 2 pending intents; the failed intent with a reason is reported
    assert verdict.counts["failed outside the outage"] == 1  # t6, and no outage to explain it
    assert verdict.counts["ledger violations"] == 1
    assert verdict.info["failed job intents (reported)"] == [
        {"name": "webhook.deliver", "n": 1, "reason": "gave up after 5"}
    ]
