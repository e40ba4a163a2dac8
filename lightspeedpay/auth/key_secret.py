"""Key-and-secret authentication for the Razorpay-compatible API: HTTP Basic with key = an API key id (test or
live) and secret = that key's secret (what Razorpay's client libraries send), or seed 002's X-Api-Key / X-Api-Secret headers.
The secret is compared in constant time."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Annotated

from fastapi import Depends, Request

from lightspeedpay.auth.principal import MerchantAuth, principal_service
from lightspeedpay.auth.signature import admitted, read_body
from lightspeedpay.db import sessionmaker
from lightspeedpay.errors import Unauthorized
from lightspeedpay.kit.signing import equal
from lightspeedpay.ratelimit.guards import limit_api_caller

# compared against when the key is unknown, so an unknown key costs the same as a wrong secret
_NO_SECRET = "0" * 64


def credentials(request: Request) -> tuple[str, str]:
    authorization = request.headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized(
                "The Authorization header is not valid Basic auth.", field="Authorization"
            ) from None
        key, _, secret = decoded.partition(":")
        if "\x00" in decoded:  # no key has one, and PostgreSQL text cannot hold it: refuse before the lookup
            raise Unauthorized("The api key provided is invalid", field="Authorization")
        return key, secret
    return request.headers.get("x-api-key", ""), request.headers.get("x-api-secret", "")


async def authenticate(request: Request) -> MerchantAuth:
    key, secret = credentials(request)
    if not key or not secret:
        raise Unauthorized(
            "Authenticate with HTTP Basic auth (key id = your API key id, key secret = its secret), "
            "or the X-Api-Key and X-Api-Secret headers."
        )
    merchant = None
    for fresh in (False, True):  # a cached merchant is read again once: its secret may have been regenerated
        async with sessionmaker()() as session:
            merchant = await principal_service.by_key(session, key, fresh=fresh)
        candidates = merchant.valid_secrets(time.time()) if merchant else []
        matched = False
        for salt in candidates or [_NO_SECRET]:  # no secret yet costs a compare too, and never matches
            matched |= equal(salt, secret)
        matched = matched and bool(candidates)
        if merchant is None or matched:
            break
    if merchant is None or not matched:
        raise Unauthorized("The api key provided is invalid")
    merchant = await admitted(merchant, request)
    request.state.merchant = merchant  # whom the request's usage counts for
    await limit_api_caller(request, merchant.rate_limit_caller, merchant.rate_limit_per_minute)
    request.state.raw_body = await read_body(request)
    return merchant


KeySecretMerchant = Annotated[MerchantAuth, Depends(authenticate)]
