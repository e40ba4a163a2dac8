"""Key rotation: every secret at rest ends up under the primary key, opens to the same plaintext, and a second
run changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.keys import KeyRotationError, rotate_keys
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.kit.crypto import KeyRing, keyring, new_key_spec
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import ApiCredential, ApiCredentialSecret, Client, PaymentGateway
from tests.factories import create_merchant
from tests.fixtures import ROOT

K1, K2, K0 = new_key_spec("k1"), new_key_spec("k2"), new_key_spec("k0")


@pytest.fixture
def use_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Switch this process's LSP_ENCRYPTION_KEYS; the platform's processes keep theirs."""

    def use(spec: str) -> None:
        monkeypatch.setenv("LSP_ENCRYPTION_KEYS", spec)
        get_settings.cache_clear()
        keyring.cache_clear()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()
    keyring.cache_clear()


async def add_gateway(session: AsyncSession) -> dict[str, str]:
    creds = {
        "key_id": f"sbx_{secrets.token_hex(5)}",
        "key_secret": secrets.token_hex(12),
        "webhook_secret": secrets.token_hex(12),
    }
    await gateway_service.add(
        session,
        name=f"gw_{secrets.token_hex(4)}",
        provider="sandbox",
        base_url="http://127.0.0.1:9",
        credentials=creds,
    )
    await session.commit()
    return creds


async def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lightspeedpay.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def stored(session: AsyncSession) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    await session.rollback()
    # each merchant's live key's current secret (its client salt) and its webhook secret
    clients = {
        key: (salt_enc, webhook_enc)
        for key, salt_enc, webhook_enc in (
            await session.execute(
                select(Client.client_key, ApiCredentialSecret.secret_enc, Client.webhook_secret_enc)
                .join(ApiCredential, (ApiCredential.client_id == Client.id) & (ApiCredential.mode == "live"))
                .join(ApiCredentialSecret, ApiCredentialSecret.credential_id == ApiCredential.id)
                .where(ApiCredentialSecret.expires_at.is_(None))
            )
        ).all()
    }
    gateways = {
        g.name: g.credentials_enc
        for g in (
            await session.execute(select(PaymentGateway).execution_options(populate_existing=True))
        ).scalars()
    }
    return clients, gateways


async def test_rotation_moves_every_secret_to_the_primary_key(session, use_keys):
    use_keys(K1)
    merchants = [await create_merchant(session) for _ in range(5)]
    gateway_creds = [await add_gateway(session) for _ in range(3)]
    # a salt rotated away from, still valid for its grace period, is a secret at rest too
    rotated_from = merchants[1].client_salt
    new_salt = await merchant_service.rotate_salt(
        session, merchants[1].client.id, grace_seconds=3600, actor="test"
    )
    await session.commit()
    merchants[1] = replace(merchants[1], client_salt=new_salt)

    use_keys(f"{K2},{K1}")  # the operator prepends the new key
    already = await create_merchant(session)  # written after the switch: already under k2
    merchants.append(already)
    # one merchant half-rotated (a run stopped midway would leave none like this, but columns are independent)
    half = (
        await session.execute(select(Client).where(Client.client_key == merchants[0].client.client_key))
    ).scalar_one()
    half.webhook_secret_enc = keyring().encrypt(merchants[0].webhook_secret)
    await session.commit()

    progress: list[tuple[int, int]] = []
    counts = await rotate_keys(
        sessionmaker(), batch=2, on_progress=lambda done, total: progress.append((done, total))
    )
    assert counts == {
        "clients.webhook_secret_enc": 4,
        # each merchant's live and test secrets, and the live secret rotated away from
        "api_credential_secrets.secret_enc": 11,
        "payment_gateways.credentials_enc": 3,
        # these merchants have no webhook URL, so no endpoint (tests/webhooks covers those)
        "webhook_endpoints.secret_enc": 0,
        "webhook_endpoints.previous_secret_enc": 0,
        "emails.text_enc": 0,  # no email queued in this test (tests/notifications/test_email.py sends some)
        "emails.html_enc": 0,
        "users.totp_secret_enc": 0,  # tests/identity covers a person's TOTP secret
    }
    assert progress[0] == (0, 18) and progress[-1] == (18, 18)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)

    clients, gateways = await stored(session)
    only_k2 = KeyRing(K2)  # the old key can now be dropped
    [previous] = (
        await session.execute(
            select(ApiCredentialSecret.secret_enc).where(ApiCredentialSecret.expires_at.is_not(None))
        )
    ).scalars()
    assert previous.startswith("k2:") and only_k2.decrypt(previous) == rotated_from
    for m in merchants:
        salt_enc, secret_enc = clients[m.client.client_key]
        assert salt_enc.startswith("k2:") and secret_enc.startswith("k2:")
        assert only_k2.decrypt(salt_enc) == m.client_salt
        assert only_k2.decrypt(secret_enc) == m.webhook_secret
    assert len(gateways) == 3
    assert all(enc.startswith("k2:") for enc in gateways.values())
    assert sorted(json.loads(only_k2.decrypt(enc))["key_secret"] for enc in gateways.values()) == sorted(
        c["key_secret"] for c in gateway_creds
    )

    again = await rotate_keys(sessionmaker(), batch=2)
    assert again == dict.fromkeys(counts, 0)
    assert await stored(session) == (clients, gateways)


async def test_rotation_stops_on_a_key_it_does_not_hold(session, use_keys):
    use_keys(K1)
    await create_merchant(session)
    use_keys(K0)
    lost = await create_merchant(session)
    use_keys(f"{K2},{K1}")  # k0 is missing from the ring

    with pytest.raises(KeyRotationError, match="'k0'"):
        await rotate_keys(sessionmaker())
    clients, _ = await stored(session)
    assert all(salt.startswith("k0:") for key, (salt, _) in clients.items() if key == lost.client.client_key)

    use_keys(f"{K2},{K1},{K0}")
    counts = await rotate_keys(sessionmaker())
    clients, _ = await stored(session)
    assert all(salt.startswith("k2:") and secret.startswith("k2:") for salt, secret in clients.values())
    assert sum(counts.values()) >= 2


async def test_cli_new_and_rotate(session, use_keys):
    use_keys(K1)
    new = await create_merchant(session)
    await add_gateway(session)

    code, out, err = await cli("keys", "new", "--kid", "k2", env=dict(os.environ))
    assert code == 0, err
    spec = out.strip()
    assert spec.startswith("k2:") and KeyRing(spec).primary == "k2"
    assert "LSP_ENCRYPTION_KEYS" in err

    code, out, err = await cli(
        "keys", "rotate", "--batch", "1", env={**os.environ, "LSP_ENCRYPTION_KEYS": f"{spec},{K1}"}
    )
    assert code == 0, out + err
    assert "api_credential_secrets.secret_enc" in out and "payment_gateways.credentials_enc" in out
    assert "1 re-encrypted" in out

    code, out, err = await cli("keys", "new", "--kid", "bad:kid", env=dict(os.environ))
    assert code != 0

    clients, gateways = await stored(session)
    salt_enc, _ = clients[new.client.client_key]
    assert KeyRing(spec).decrypt(salt_enc) == new.client_salt
    assert all(enc.startswith("k2:") for enc in gateways.values())
