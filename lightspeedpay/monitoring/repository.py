"""The health check's one query."""

from __future__ import annotations

from sqlalchemy import text

from lightspeedpay.db import engine


async def ping_database() -> None:
    """Raises when PostgreSQL cannot be reached or does not answer."""
    async with engine().connect() as conn:
        await conn.execute(text("SELECT 1"))
