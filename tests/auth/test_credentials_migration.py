"""Migration 0018 on a database that already has merchants (a database of its own): each client_key becomes the
live key id with the client salt as its current secret and the previous salts as secrets in their grace period;
each merchant gets a test key id with no secret yet; existing rows are live. And back down."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from alembic import command

from lightspeedpay.db_admin import alembic_config, create_database_if_missing
from lightspeedpay.kit import crypto


@pytest.fixture
async def old_database(platform):
    url = platform.env["LSP_DATABASE_URL"] + "_migration"
    await create_database_if_missing(url)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await conn.close()
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0017")
    yield url


async def test_0018_makes_each_client_key_the_live_key_and_keeps_rotated_salts(platform, old_database):
    url = old_database
    a, b = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        for cid in (a, b):
            await conn.execute(
                "INSERT INTO clients (id, client_key, client_salt_enc, webhook_secret_enc, company_name)"
                " VALUES ($1, $2, $3, $4, $5)",
                cid,
                f"lsp_{cid.hex[:24]}",
                crypto.encrypt(f"salt-{cid.hex}"),
                crypto.encrypt("whsec"),
                f"Shop {cid.hex[:4]}",
            )
        await conn.execute(
            "INSERT INTO client_previous_salts (client_id, salt_enc, retired_at, expires_at) VALUES "
            "($1, $2, $3, $4), ($1, $5, $3, $6)",
            a,
            crypto.encrypt("old-salt"),
            now - timedelta(minutes=5),
            now + timedelta(hours=1),
            crypto.encrypt("older-salt"),
            now - timedelta(minutes=1),
        )
    finally:
        await conn.close()

    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        creds = {(r["client_id"], r["mode"]): r for r in await conn.fetch("SELECT * FROM api_credentials")}
        assert len(creds) == 4
        for cid in (a, b):
            assert creds[(cid, "live")]["key_id"] == f"lsp_{cid.hex[:24]}"
            assert creds[(cid, "test")]["key_id"].startswith("lsp_test_")
            assert creds[(cid, "live")]["ip_allowlist"] == []
        secrets = await conn.fetch(
            "SELECT k.client_id, k.mode, s.secret_enc, s.expires_at FROM api_credential_secrets s "
            "JOIN api_credentials k ON k.id = s.credential_id ORDER BY s.expires_at NULLS FIRST"
        )
        current = {
            r["client_id"]: crypto.decrypt(r["secret_enc"]) for r in secrets if r["expires_at"] is None
        }
        assert current == {a: f"salt-{a.hex}", b: f"salt-{b.hex}"}
        assert {r["mode"] for r in secrets} == {"live"}  # no test secret until the merchant makes one
        previous = sorted(crypto.decrypt(r["secret_enc"]) for r in secrets if r["expires_at"] is not None)
        assert previous == ["old-salt", "older-salt"]
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'clients'"
            )
        }
        assert "client_salt_enc" not in columns
        for table in ("transactions", "archived_transactions", "orders", "refunds", "settlements"):
            default = await conn.fetchval(
                "SELECT column_default FROM information_schema.columns WHERE table_name = $1 AND column_name = 'mode'",
                table,
            )
            assert default is not None and "live" in default
        assert await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'all_transactions' "
            "AND column_name = 'mode'"
        )
    finally:
        await conn.close()

    await asyncio.to_thread(command.downgrade, alembic_config(url), "0017")
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        salts = {
            r["id"]: crypto.decrypt(r["client_salt_enc"]) for r in await conn.fetch("SELECT * FROM clients")
        }
        assert salts == {a: f"salt-{a.hex}", b: f"salt-{b.hex}"}
        kept = [
            crypto.decrypt(r["salt_enc"]) for r in await conn.fetch("SELECT * FROM client_previous_salts")
        ]
        assert kept == ["old-salt"]  # the one still in its grace period
    finally:
        await conn.close()
