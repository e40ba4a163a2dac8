"""The models and the migrations agree: Alembic's autogenerate, run against the database the migrations built,
finds nothing to change (issue 8's CI checks)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData

from lightspeedpay.db import engine
from lightspeedpay.models import Base


async def _changes(metadata: MetaData) -> list:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(
            sync_conn, opts={"compare_type": True, "compare_server_default": False}
        )
        return compare_metadata(ctx, metadata)

    async with engine().connect() as conn:
        return await conn.run_sync(diff)


async def test_autogenerate_finds_nothing(platform):
    changes = await _changes(Base.metadata)
    assert changes == [], "models and migrations differ; write a migration step:\n" + "\n".join(
        map(str, changes)
    )


async def test_the_check_sees_a_column_no_migration_made(platform):
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["clients"].append_column(Column("not_migrated", Integer))
    changes = await _changes(drifted)
    assert [c[0] for c in changes] == ["add_column"] and changes[0][3].name == "not_migrated"
