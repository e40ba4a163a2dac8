"""Job handlers by name; each domain's tasks.py registers its own with @task."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Handler = Callable[..., Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


class RetryLater(Exception):
    """The work cannot be done yet (for example a PSP event that arrived before its order was recorded)."""


def task(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def load_all() -> dict[str, Handler]:
    # importing the modules registers their handlers
    from lightspeedpay.notifications import tasks as _notifications  # noqa: F401
    from lightspeedpay.payments import tasks as _payments  # noqa: F401
    from lightspeedpay.psp_events import tasks as _psp_events  # noqa: F401
    from lightspeedpay.refunds import tasks as _refunds  # noqa: F401
    from lightspeedpay.settlements import tasks as _settlements  # noqa: F401
    from lightspeedpay.webhooks import tasks as _webhooks  # noqa: F401

    return HANDLERS


async def call(name: str, session: AsyncSession, payload: dict[str, Any]) -> Any:
    return await HANDLERS[name](session, **payload)
