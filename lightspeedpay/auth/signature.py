"""Merchant request signing: X-Client-Key (an API key id, test or live), X-Timestamp and X-Signature = hex
HMAC-SHA256, keyed with the key's secret (the "client salt"), over `{timestamp}.{METHOD}.{path with query}.{raw
body}`. The secret never travels."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request

from lightspeedpay.auth import replay
from lightspeedpay.auth.principal import MerchantAuth, admit, principal_service
from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.errors import InvalidSignature, PayloadTooLarge, StaleTimestamp, Unauthorized
from lightspeedpay.kit.signing import equal, sign_merchant_request
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import KycStatus
from lightspeedpay.ratelimit.guards import api_limit

# Unix seconds have 10 digits until the year 2286; anything much longer is not a time (and int() of thousands
# of digits is slow, past 4,300 an error)
# Unix time in seconds (10 digits until the year 2286) or in milliseconds (13 digits): a client that sends
# two identical requests within one second (two refunds of the same amount) signs them apart in milliseconds,
# as the replay check refuses the same signed bytes twice
_MAX_TIMESTAMP_DIGITS = 13
_MILLISECOND_DIGITS = 13


def _ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def path_with_query(request: Request) -> str:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


async def read_body(request: Request) -> bytes:
    # a route that takes files raises its own bound first (kyc's document upload); every other has the default
    limit = getattr(request.state, "max_body_bytes", None) or get_settings().max_body_bytes
    declared = request.headers.get("content-length", "")
    # ASCII digits only (str.isdigit() accepts '²', which int() refuses); a long number is too large anyway
    if _ascii_digits(declared) and (len(declared) > 18 or int(declared) > limit):
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    if getattr(request, "_form", None) is not None and not hasattr(request, "_body"):
        # a console form, parsed already (by FastAPI for the route's Form fields, or by the CSRF check for its
        # token field) from the stream, which cannot be read twice: the route reads the parsed fields, and no
        # signature covers a person's form
        return b""
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    return body


async def authenticate(request: Request) -> MerchantAuth:
    headers = request.headers
    client_key = headers.get("x-client-key")
    timestamp = headers.get("x-timestamp")
    signature = headers.get("x-signature")
    for name, value in (("X-Client-Key", client_key), ("X-Timestamp", timestamp), ("X-Signature", signature)):
        if not value:
            raise Unauthorized(f"The {name} header is missing; every API request must be signed.", field=name)
    assert client_key and timestamp and signature
    if not _ascii_digits(timestamp) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise Unauthorized(
            "X-Timestamp must be Unix time in whole seconds (or milliseconds, 13 digits).",
            field="X-Timestamp",
        )
    tolerance = get_settings().signature_tolerance_seconds
    sent_at = int(timestamp) / 1000 if len(timestamp) == _MILLISECOND_DIGITS else int(timestamp)
    if abs(time.time() - sent_at) > tolerance:
        raise StaleTimestamp(
            f"X-Timestamp is more than {tolerance} s from the server clock; sign the request "
            "again with the current time.",
            field="X-Timestamp",
        )
    body = await read_body(request)
    merchant = await _verified_merchant(
        client_key, timestamp, request.method, path_with_query(request), body, signature.lower()
    )
    ask = api_limit(merchant.rate_limit_caller, merchant.rate_limit_per_minute)
    # the rate limiter's place is taken in the replay check's round trip when it can be (authenticate_merchant
    # then applies the decision, after the admission checks, as it would its own)
    request.state.rate_limit_taken = await replay.accept_once(
        request.method,
        merchant.id,
        signature.lower(),
        headers.get("idempotency-key") or headers.get("x-refund-idempotency"),
        limit=replay.LimitAsk(*ask) if ask else None,
    )
    merchant = await admitted(merchant, request)
    request.state.raw_body = body
    return merchant


async def admitted(merchant: MerchantAuth, request: Request, *, by_credential: bool = True) -> MerchantAuth:
    """The merchant, once `principal.admit` lets its credential (or a person acting for it) through. Live mode
    refused for KYC is read again first: an activation made through another process counts at once, not after
    the cache's seconds. The IP allowlist is the credential's: a person is not held to it."""
    if merchant.mode == Mode.LIVE and merchant.kyc_status != KycStatus.ACTIVATED:
        async with sessionmaker()() as session:
            merchant = await principal_service.by_key(session, merchant.key_id, fresh=True) or merchant
    host = request.client.host if by_credential and request.client else None
    admit(merchant, client_host=host, by_credential=by_credential)
    return merchant


async def _verified_merchant(
    client_key: str, timestamp: str, method: str, path: str, body: bytes, signature: str
) -> MerchantAuth:
    """The merchant whose current secret, or one still in its grace period, signed this request. A cached
    merchant whose secrets match nothing is read again once: it may have been regenerated through another
    process."""
    for fresh in (False, True):
        merchant = None if fresh else principal_service.cached(client_key)
        if merchant is None:
            async with sessionmaker()() as session:
                merchant = await principal_service.by_key(session, client_key, fresh=fresh)
        if merchant is None:
            raise Unauthorized("Unknown client key.", field="X-Client-Key")
        matched = False
        for salt in merchant.valid_secrets(time.time()):
            # no early exit: every valid salt costs one compare
            matched |= equal(sign_merchant_request(salt, timestamp, method, path, body), signature)
        if matched:
            return merchant
    raise InvalidSignature(
        "The signature does not match; sign `{timestamp}.{METHOD}.{path with query}."
        "{raw body}` with the key's secret (hex HMAC-SHA256).",
        field="X-Signature",
    )


CurrentMerchant = Annotated[MerchantAuth, Depends(authenticate)]
