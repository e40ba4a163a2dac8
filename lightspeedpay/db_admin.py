"""Creating the database and applying the migrations: used by `lightspeedpay db upgrade`, `lightspeedpay up`,
the tests and the benchmarks."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


def upgrade_database(database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), "head")


async def create_database_if_missing(database_url: str) -> bool:
    url = make_url(database_url)
    kwargs = {"host": url.host or "127.0.0.1", "port": url.port or 5432, "user": url.username}
    conn = await asyncpg.connect(database="postgres", **kwargs)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", url.database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{url.database}"')
        return not exists
    finally:
        await conn.close()
