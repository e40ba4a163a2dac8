"""Every query on idempotency keys."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_CLAIM = text("""
INSERT INTO idempotency_keys (id, client_id, idempotency_key, request_method, request_path, request_fingerprint,
                              status, claim_token, locked_at, created_at, expires_at)
VALUES (:id, :client_id, :key, :method, :path, :fingerprint, 'running', :token, now(), now(),
        now() + make_interval(secs => :ttl))
ON CONFLICT (client_id, idempotency_key) DO UPDATE
SET request_method = EXCLUDED.request_method, request_path = EXCLUDED.request_path,
    request_fingerprint = EXCLUDED.request_fingerprint, status = 'running', claim_token = EXCLUDED.claim_token,
    locked_at = now(), response_code = NULL, response_body = NULL, response_content_type = NULL,
    created_at = now(), expires_at = EXCLUDED.expires_at
WHERE idempotency_keys.expires_at <= now()
   OR (idempotency_keys.status = 'running' AND idempotency_keys.locked_at < now() - make_interval(secs => :lock)
       AND idempotency_keys.request_fingerprint = EXCLUDED.request_fingerprint)
RETURNING id
""")
_READ = text("""
SELECT status, request_fingerprint, request_method, request_path, response_code, response_body,
       response_content_type
FROM idempotency_keys WHERE client_id = :client_id AND idempotency_key = :key AND expires_at > now()
""")
# fenced: only the claim that is still running under this token may store its answer
_COMPLETE = text("""
UPDATE idempotency_keys SET status = 'completed', locked_at = NULL, response_code = :code, response_body = :body,
       response_content_type = :content_type
WHERE id = :id AND claim_token = :token AND status = 'running'
RETURNING id
""")
_RELEASE = text("DELETE FROM idempotency_keys WHERE id = :id AND claim_token = :token AND status = 'running'")
_PURGE = text("""
DELETE FROM idempotency_keys WHERE id IN (
    SELECT id FROM idempotency_keys WHERE expires_at <= now() LIMIT :batch FOR UPDATE SKIP LOCKED)
""")


class IdempotencyKeyRepository:
    async def claim(
        self,
        conn: AsyncConnection,
        *,
        client_id: uuid.UUID,
        key: str,
        method: str,
        path: str,
        fingerprint: str,
        token: uuid.UUID,
        ttl: float,
        lock: float,
    ) -> uuid.UUID | None:
        """The key's id when this request now holds it (new, expired, or abandoned by a request with the same
        fingerprint), else None."""
        return (
            await conn.execute(
                _CLAIM,
                {
                    "id": uuid.uuid4(),
                    "client_id": client_id,
                    "key": key,
                    "method": method,
                    "path": path,
                    "fingerprint": fingerprint,
                    "token": token,
                    "ttl": ttl,
                    "lock": lock,
                },
            )
        ).scalar_one_or_none()

    async def read(self, conn: AsyncConnection, *, client_id: uuid.UUID, key: str) -> Any:
        return (await conn.execute(_READ, {"client_id": client_id, "key": key})).one_or_none()

    async def complete(
        self,
        session: AsyncSession,
        *,
        key_id: uuid.UUID,
        token: uuid.UUID,
        code: int,
        body: bytes,
        content_type: str,
    ) -> bool:
        """Store the answer, fenced on the claim's token; False when the claim is no longer ours."""
        stored = await session.execute(
            _COMPLETE,
            {"id": key_id, "token": token, "code": code, "body": body, "content_type": content_type},
        )
        return stored.first() is not None

    async def release(self, session: AsyncSession, *, key_id: uuid.UUID, token: uuid.UUID) -> None:
        await session.execute(_RELEASE, {"id": key_id, "token": token})

    async def purge_expired(self, session: AsyncSession, *, batch: int) -> int:
        result = await session.execute(_PURGE, {"batch": batch})
        return getattr(result, "rowcount", 0) or 0


idempotency_repo = IdempotencyKeyRepository()
