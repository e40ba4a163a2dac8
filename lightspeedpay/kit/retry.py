"""The one retry policy: after a failure, how long to wait before the next attempt and when to stop.

Every retry in the platform is one of the policies below, each built from its settings; nothing else computes
a back-off. A policy is a list of waits (its length is the number of retries), each drawn with ±10 % jitter so
that the retries of many jobs that failed together (a PSP outage) do not come back together. A server's
`Retry-After` can push a wait later, up to a cap, never earlier.

| policy | what fails | waits (defaults) | attempts in all | then |
|---|---|---|---|---|
| `job` | a job handler raises (a bug, the database away) | 1, 2, 4 … 64 s (BullMQ re-runs the job) | `LSP_JOB_MAX_ATTEMPTS` (8) | intent `failed` with its last error |
| `psp_order` | a PSP answers no order, and no other gateway can take the payment | 2, 4 s | `LSP_FAILOVER_MAX_ATTEMPTS` (3) | payment `failed` (PSP_UNAVAILABLE) |
| `refund` | the PSP does not answer a refund | 2, 4, 8, 16, 32 s (at most 300) | `LSP_REFUND_MAX_ATTEMPTS` (6) | refund `failed` |
| `merchant_webhook` | a merchant endpoint answers 408/429/5xx/3xx or nothing | `LSP_WEBHOOK_RETRY_SCHEDULE` (1 m, 5 m, 30 m, 2 h) | 5 | delivery `failed` |
| `whatsapp` | the WhatsApp Cloud API answers 5xx or times out | `LSP_WA_RETRY_BACKOFF` (30 s, 2 m, 10 m) | 4 | notice `failed` |
| `slack` | Slack's incoming webhook answers 5xx or 429, or nothing | `LSP_SLACK_RETRY_BACKOFF` (10 s, 1 m, 5 m, 15 m; a 429's Retry-After up to `LSP_SLACK_RETRY_AFTER_MAX_SECONDS`) | 5 | message `failed` |
| `email` | the SMTP server cannot be reached, times out or answers 4xx | `LSP_EMAIL_RETRY_BACKOFF` (10 s, 1 m, 5 m, 15 m) | 5 | email `failed` |
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from lightspeedpay.config import get_settings

JITTER = 0.1


@dataclass(frozen=True)
class RetryPolicy:
    name: str
    waits: tuple[float, ...]  # seconds before retry 1, 2, …; as many retries as waits
    jitter: float = JITTER

    @classmethod
    def exponential(cls, name: str, *, first: float, retries: int, cap: float | None = None) -> RetryPolicy:
        return cls(
            name,
            tuple(first * 2**i if cap is None else min(first * 2**i, cap) for i in range(max(retries, 0))),
        )

    @property
    def max_attempts(self) -> int:
        return len(self.waits) + 1

    def wait(
        self, failed_attempts: int, *, retry_after: float | None = None, retry_after_cap: float | None = None
    ) -> float | None:
        """The wait before the next attempt once `failed_attempts` attempts have failed; None when the policy
        has no retry left. `retry_after` (a server's Retry-After) can make it longer, up to `retry_after_cap`,
        never shorter: a broken or hostile header must not park a queue for days, nor hurry us."""
        if not 1 <= failed_attempts <= len(self.waits):
            return None
        step = self.waits[failed_attempts - 1]
        wait = step * random.uniform(1 - self.jitter, 1 + self.jitter)
        if retry_after is not None:
            wait = max(wait, retry_after if retry_after_cap is None else min(retry_after, retry_after_cap))
        return wait


def job() -> RetryPolicy:
    return RetryPolicy.exponential("job", first=1, retries=get_settings().job_max_attempts - 1)


def psp_order() -> RetryPolicy:
    return RetryPolicy.exponential(
        "psp_order", first=2, cap=30, retries=get_settings().failover_max_attempts - 1
    )


def refund() -> RetryPolicy:
    return RetryPolicy.exponential("refund", first=2, cap=300, retries=get_settings().refund_max_attempts - 1)


def merchant_webhook() -> RetryPolicy:
    return RetryPolicy("merchant_webhook", tuple(get_settings().retry_schedule))


def whatsapp() -> RetryPolicy:
    return RetryPolicy("whatsapp", tuple(get_settings().wa_backoff))


def slack() -> RetryPolicy:
    return RetryPolicy("slack", tuple(get_settings().slack_backoff))


def email() -> RetryPolicy:
    return RetryPolicy("email", tuple(get_settings().email_backoff))
