"""Encryption key rotation: re-encrypt every secret at rest that is not under the primary key.

The operator prepends a new key to LSP_ENCRYPTION_KEYS (keeping the old ones so existing ciphertexts still
open), restarts the processes so new secrets use it, then runs `lightspeedpay keys rotate`. After that the old
keys can be dropped. Rotation works in batches, each its own transaction with its rows locked, and can be
stopped and run again at any time: rows already under the primary key are left alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lightspeedpay.auth.repository import SecretColumns, secret_repo
from lightspeedpay.kit.crypto import KeyRing, keyring
from lightspeedpay.models import ApiCredentialSecret, Client, Email, PaymentGateway, User, WebhookEndpoint

# (done, total) rows, after each batch
Progress = Callable[[int, int], None]


SECRET_COLUMNS: tuple[SecretColumns, ...] = (
    SecretColumns(Client, ("webhook_secret_enc",)),
    SecretColumns(ApiCredentialSecret, ("secret_enc",)),
    SecretColumns(PaymentGateway, ("credentials_enc",)),
    SecretColumns(WebhookEndpoint, ("secret_enc", "previous_secret_enc")),
    SecretColumns(Email, ("text_enc", "html_enc")),  # unsent emails' bodies hold one-time links
    SecretColumns(User, ("totp_secret_enc",)),
)


class KeyRotationError(RuntimeError):
    pass


def _reencrypt(ring: KeyRing, target: SecretColumns, row: Any, column: str) -> bool:
    token = getattr(row, column)
    if token is None:  # an optional secret column (a webhook endpoint's previous secret)
        return False
    kid = ring.key_id(token)
    if kid == ring.primary:
        return False
    if kid not in ring.keys:
        raise KeyRotationError(
            f"{target.table} {row.id}: {column} is under key {kid!r}, which "
            "LSP_ENCRYPTION_KEYS does not hold; add that key (after the primary) and run again"
        )
    try:
        plaintext = ring.decrypt(token)
    except (InvalidTag, ValueError) as exc:
        raise KeyRotationError(
            f"{target.table} {row.id}: {column} does not decrypt with key {kid!r}"
        ) from exc
    setattr(row, column, ring.encrypt(plaintext))
    return True


async def rotate_keys(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    batch: int = 200,
    on_progress: Progress | None = None,
    ring: KeyRing | None = None,
) -> dict[str, int]:
    """Re-encrypt secrets under the primary key; returns how many values changed per `table.column`.

    Each batch commits on its own, so an interrupted run keeps its progress and a second run finishes it.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    ring = ring or keyring()
    counts = {f"{t.table}.{c}": 0 for t in SECRET_COLUMNS for c in t.columns}
    async with session_factory() as session:
        total = sum([await secret_repo.count_stale(session, t, ring.primary) for t in SECRET_COLUMNS])
    done = 0
    if on_progress:
        on_progress(done, total)
    for target in SECRET_COLUMNS:
        after: uuid.UUID | None = None
        while True:
            async with session_factory() as session, session.begin():
                rows = await secret_repo.lock_stale_batch(
                    session, target, ring.primary, after=after, limit=batch
                )
                for row in rows:
                    for column in target.columns:
                        if _reencrypt(ring, target, row, column):
                            counts[f"{target.table}.{column}"] += 1
            done += len(rows)
            if on_progress:
                # rows written since the count began can make `done` pass the first total
                on_progress(done, max(total, done))
            if len(rows) < batch:
                break
            after = rows[-1].id
    return counts
