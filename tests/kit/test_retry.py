"""The one retry policy (fast tier): jittered waits, a fixed number of retries, Retry-After that can only push
a wait later and only up to its cap, and each named policy built from its settings."""

from __future__ import annotations

import pytest

from lightspeedpay.config import get_settings
from lightspeedpay.jobs.queues import job_backoff_ms
from lightspeedpay.kit import retry
from lightspeedpay.kit.retry import RetryPolicy


def test_waits_are_jittered_around_their_step_and_run_out():
    policy = RetryPolicy("p", (60, 300))
    for _ in range(200):
        assert 54 <= policy.wait(1) <= 66 and 270 <= policy.wait(2) <= 330
    assert policy.wait(3) is None and policy.wait(0) is None
    assert policy.max_attempts == 3
    waits = {round(policy.wait(1), 3) for _ in range(50)}
    assert len(waits) > 10  # spread out, so jobs that failed together do not come back together


def test_retry_after_lengthens_a_wait_up_to_the_cap_and_never_shortens_it():
    policy = RetryPolicy("p", (60,), jitter=0)
    assert policy.wait(1) == 60
    assert policy.wait(1, retry_after=5, retry_after_cap=3600) == 60  # never earlier than our own back-off
    assert policy.wait(1, retry_after=600, retry_after_cap=3600) == 600
    assert policy.wait(1, retry_after=10 * 86400, retry_after_cap=3600) == 3600  # a day-long header is capped
    assert RetryPolicy("p", (7200,), jitter=0).wait(1, retry_after=10 * 86400, retry_after_cap=3600) == 7200


def test_exponential_policies_double_up_to_their_cap():
    assert RetryPolicy.exponential("e", first=2, retries=6, cap=30).waits == (2, 4, 8, 16, 30, 30)
    assert RetryPolicy.exponential("e", first=1, retries=3).waits == (1, 2, 4)
    assert RetryPolicy.exponential("e", first=1, retries=0).waits == ()


def test_the_named_policies_follow_their_settings():
    s = get_settings()
    assert retry.job().max_attempts == s.job_max_attempts
    assert retry.refund().max_attempts == s.refund_max_attempts
    assert retry.psp_order().max_attempts == s.failover_max_attempts
    assert retry.merchant_webhook().waits == tuple(s.retry_schedule)
    assert retry.whatsapp().waits == tuple(s.wa_backoff)


@pytest.mark.parametrize("attempts_made", [1, 2, 3])
def test_bullmq_reruns_a_failed_job_after_the_job_policys_wait(attempts_made):
    assert (
        0.9 * 1000 * 2 ** (attempts_made - 1)
        <= job_backoff_ms(attempts_made, "lsp_retry_policy", None, None)
        <= 1.1 * 1000 * 2 ** (attempts_made - 1)
    )
    assert job_backoff_ms(get_settings().job_max_attempts, "lsp_retry_policy", None, None) == -1
