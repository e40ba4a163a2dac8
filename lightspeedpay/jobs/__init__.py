"""Queues, the outbox of job intents, workers, the sweeper and the scheduler."""

from lightspeedpay.jobs.outbox import enqueue

__all__ = ["enqueue"]
