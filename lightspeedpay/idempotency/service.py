"""Idempotency keys with Stripe's semantics, for every POST of both API surfaces.

A request that passed validation claims its key (one autocommit statement) and gets a fencing token, new for
every claim. The answer is stored with the key in the request's own DB transaction, fenced on that token, so
the effect and the stored answer commit together or not at all; a request whose claim was taken over
meanwhile rolls back (409 IDEMPOTENCY_KEY_IN_USE) instead of overwriting the answer its successor gave.
`POST /api/v1/pay`, which runs as one statement, stores its answer inside that statement (`Claim` is handed to
the work for it). A retry with the same key and parameters gets the stored answer again with
`Idempotent-Replayed: true`; other parameters get 422 IDEMPOTENCY_KEY_REUSED; a retry while the first request
is still running waits up to LSP_IDEMPOTENCY_WAIT_SECONDS for it, then gets 409 IDEMPOTENCY_KEY_IN_USE.

What is stored (the rule beside Stripe's): Stripe stores every answer once the endpoint started executing,
500s included. Here only answers whose effect committed, and 4xx business errors (the same request would fail
the same way), are stored. A 5xx (503 NO_GATEWAY_AVAILABLE while breakers are open, a 500 from a bug or a
deadlock) committed nothing, so the claim is released and a retry with the same key can succeed.
Keys live LSP_IDEMPOTENCY_TTL_SECONDS and are then purged (brandur's Postgres design, without recovery points:
each route here has one atomic phase, its PSP calls are idempotent on their side).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import http_errors as errors
from lightspeedpay.config import get_settings
from lightspeedpay.db import engine
from lightspeedpay.errors import AppError, IdempotencyKeyInUse, IdempotencyKeyInvalid, IdempotencyKeyReused
from lightspeedpay.idempotency.repository import idempotency_repo
from lightspeedpay.jobs.unit_of_work import unit_of_work
from lightspeedpay.kit.logging import log
from lightspeedpay.models.idempotency_key import IdempotencyKeyStatus

HEADER = "Idempotency-Key"
REFUND_HEADER = "X-Refund-Idempotency"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

Work = Callable[[AsyncSession], Awaitable[Response]]


@dataclass
class Claim:
    """A request's hold on its key. Work that commits its effect outside the session (the one-statement
    initiation) stores the answer itself, fenced on `token`, and sets `stored`."""

    key_id: uuid.UUID
    token: uuid.UUID
    stored: bool = False


class _ClaimLost(Exception):
    """Our claim was taken over (it outlived LSP_IDEMPOTENCY_LOCK_SECONDS): the successor's answer stands."""


def key_from(request: Request, names: Sequence[str] = (HEADER,)) -> str | None:
    """The request's key, from the first of `names` it carries; None when it sends none."""
    values = [request.headers[name] for name in names if name in request.headers]
    if not values:
        return None
    key = values[0]
    if any(v != key for v in values):
        raise IdempotencyKeyInvalid(
            f"{' and '.join(names)} differ; send one key, or the same in both.", field=names[0]
        )
    return checked_key(key, names[0])


def checked_key(key: str, field: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or key.strip() != key:
        raise IdempotencyKeyInvalid(
            f"{field} must be 1 to {MAX_KEY_LENGTH} printable characters without "
            "leading or trailing spaces; a UUID v4 is a good choice.",
            field=field,
        )
    return key


def fingerprint(method: str, path: str, params: Any) -> str:
    """What makes a retry the same request: the endpoint and the validated parameters (not their spelling)."""
    body = orjson.dumps(params, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(f"{method.upper()}\n{path}\n".encode() + body).hexdigest()


@dataclass(frozen=True)
class _Stored:
    status: str
    fingerprint: str
    method: str
    path: str
    code: int | None
    body: bytes | None
    content_type: str | None


async def run(
    request: Request,
    client_id: uuid.UUID,
    params: Any,
    work: Work,
    *,
    key_headers: Sequence[str] = (HEADER,),
    key: str | None = None,
) -> Response:
    """Run `work` as one unit of work (commit, then push queued jobs) under the request's idempotency key, if
    it sent one. Call this only once the request has passed validation: failures before it store nothing.
    `key`: the key when the request carries it elsewhere than in a header (a console form's one-time token,
    checked by the caller with `checked_key`); the headers are then not read."""
    if key is None:
        key = key_from(request, key_headers)
    path = request.url.path
    if key is None:
        return await _execute(path, work, None)
    fp = fingerprint(request.method, path, params)
    s = get_settings()
    deadline = time.monotonic() + s.idempotency_wait_seconds
    pause = 0.02
    while True:
        token = uuid.uuid4()
        async with engine().connect() as raw:
            conn = await raw.execution_options(isolation_level="AUTOCOMMIT")
            key_id = await idempotency_repo.claim(
                conn,
                client_id=client_id,
                key=key,
                method=request.method,
                path=path,
                fingerprint=fp,
                token=token,
                ttl=s.idempotency_ttl_seconds,
                lock=s.idempotency_lock_seconds,
            )
            row = None if key_id else await idempotency_repo.read(conn, client_id=client_id, key=key)
        if key_id is not None:
            return await _execute(path, work, Claim(key_id, token), key_header=key_headers[0])
        if row is None:
            continue  # expired and purged (or released after a 5xx) between the two statements: claim again
        stored = _Stored(*row)
        if stored.fingerprint != fp:
            raise IdempotencyKeyReused(
                f"This Idempotency-Key was used for a different request ({stored.method} {stored.path} with other "
                "parameters) in the last 24 hours; use a new key for a new request.",
                field=key_headers[0],
            )
        if stored.status == IdempotencyKeyStatus.COMPLETED:
            assert stored.code is not None and stored.body is not None
            return Response(
                stored.body,
                status_code=stored.code,
                media_type=stored.content_type,
                headers={REPLAYED_HEADER: "true"},
            )
        if time.monotonic() >= deadline:
            raise _in_use(key_headers[0])
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)


def _in_use(field: str) -> IdempotencyKeyInUse:
    return IdempotencyKeyInUse(
        "A request with this Idempotency-Key is still being processed; retry it in a few "
        "seconds to get its response.",
        field=field,
    )


def claim_of(session: AsyncSession) -> Claim | None:
    """The claim the current idempotent call holds, for work that stores its answer itself."""
    return session.info.get(_CLAIM_INFO)


_CLAIM_INFO = "lsp_idempotency_claim"


async def _execute(path: str, work: Work, claim: Claim | None, *, key_header: str = HEADER) -> Response:
    try:
        async with unit_of_work() as session:
            session.info[_CLAIM_INFO] = claim
            response = await work(session)
            if claim is not None and not claim.stored:
                if not await idempotency_repo.complete(session, **_stored_values(claim, response)):
                    raise _ClaimLost()
                claim.stored = True
    except _ClaimLost:
        return errors.render(path, _in_use(key_header))
    except AppError as exc:
        response = errors.render(path, exc)
        if isinstance(exc, IdempotencyKeyInUse):
            return response  # the claim is someone else's now (see _ClaimLost): nothing of ours to store
        return await _finish_alone(claim, response)
    except Exception:
        log.exception("unhandled_error", path=path)
        return await _finish_alone(claim, errors.render(path, errors.unexpected()))
    # cancelled (the client went away, the process stops): the key stays running and is taken over after
    # LSP_IDEMPOTENCY_LOCK_SECONDS; whatever committed has its answer stored with it
    return response


async def _finish_alone(claim: Claim | None, response: Response) -> Response:
    """After a failure that committed nothing: store a 4xx (the same request fails the same way again), or
    release the key after a 5xx so that a retry can succeed."""
    if claim is not None:
        async with unit_of_work() as session:
            if response.status_code >= 500:
                await idempotency_repo.release(session, key_id=claim.key_id, token=claim.token)
            else:
                await idempotency_repo.complete(session, **_stored_values(claim, response))
    return response


def _stored_values(claim: Claim, response: Response) -> dict[str, Any]:
    return {
        "key_id": claim.key_id,
        "token": claim.token,
        "code": response.status_code,
        "body": bytes(response.body),
        "content_type": response.media_type or "application/json",
    }


async def purge_expired(session: AsyncSession, *, batch: int = 1000) -> int:
    """Delete keys past their lifetime, in batches; a reused key after this is a new request."""
    total = 0
    while True:
        deleted = await idempotency_repo.purge_expired(session, batch=batch)
        await session.commit()
        total += deleted
        if deleted < batch:
            return total
