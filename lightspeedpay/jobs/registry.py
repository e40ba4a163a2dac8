"""Job handlers by name, each with the queue it runs on; each domain's tasks.py registers its own with
@task(name, queue=…), and lightspeedpay/tasks.py imports them all. jobs imports no domain: the process's entry
point (the app, the worker, the scheduler, a CLI) imports lightspeedpay.tasks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Task:
    name: str
    queue: str
    handler: Handler


TASKS: dict[str, Task] = {}


class RetryLater(Exception):
    """The work cannot be done yet (for example a PSP event that arrived before its order was recorded)."""


class UnknownTask(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"no job handler is registered as {name!r}: register it with @task in its domain's "
            "tasks.py, list that module in lightspeedpay/tasks.py, and import lightspeedpay.tasks "
            "in the process's entry point"
        )


def task(name: str, *, queue: str) -> Callable[[Handler], Handler]:
    """Register a handler; the job name and its queue are written here once, and enqueue looks the queue up."""

    def register(fn: Handler) -> Handler:
        registered = TASKS.get(name)
        if registered is not None and registered.handler is not fn:
            raise ValueError(f"job name {name!r} is registered twice")
        TASKS[name] = Task(name, queue, fn)
        return fn

    return register


def get(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise UnknownTask(name) from None


def queue_of(name: str) -> str:
    return get(name).queue


def load_all() -> dict[str, Task]:
    """Kept for jobs/scheduler.py (edited on another branch): handlers are registered by importing
    lightspeedpay.tasks at the entry point; this only fails loudly when that was forgotten."""
    if not TASKS:
        raise UnknownTask("(any)")
    return TASKS


async def call(name: str, session: AsyncSession, payload: dict[str, Any]) -> Any:
    return await get(name).handler(session, **payload)
