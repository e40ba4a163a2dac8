"""Opaque tokens (sessions, refresh tokens, one-time email links, recovery codes) and signed access tokens.

An opaque token is 256 random bits behind a readable prefix; only its SHA-256 is stored, so a copy of the
database opens nothing. Access tokens are JWTs (PyJWT, HS256) with a `kid` header naming the key that signed
them; the keys come from `LSP_JWT_KEYS` (the first signs, all verify), so they rotate without logging anyone
out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from lightspeedpay.config import get_settings
from lightspeedpay.errors import Unauthorized

SESSION_PREFIX = "lsps_"
REFRESH_PREFIX = "lspr_"
EMAIL_PREFIX = "lspe_"
_ISSUER = "lightspeedpay"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def csrf_token(session_token: str) -> str:
    """The CSRF token of a browser session: derived from the session's secret token, so it needs no storage,
    differs per session and changes when the session is rotated at login."""
    return hmac.new(session_token.encode(), b"lightspeedpay-csrf", hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _keys(spec: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    primary = ""
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        kid, _, secret = part.partition(":")
        if not kid or not secret:
            raise ValueError("LSP_JWT_KEYS entries are kid:secret")
        keys[kid] = secret.encode()
        primary = primary or kid
    if not primary:
        raise ValueError("LSP_JWT_KEYS is empty")
    return primary, keys


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_family: uuid.UUID  # the refresh-token family the access token was issued with (logout revokes it)
    authenticated_at: float
    expires_at: float


def issue_access_token(
    user_id: uuid.UUID, family_id: uuid.UUID, *, authenticated_at: float
) -> tuple[str, int]:
    settings = get_settings()
    primary, keys = _keys(settings.jwt_keys)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": _ISSUER,
        "sub": str(user_id),
        "sid": str(family_id),
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_seconds,
        "auth_time": int(authenticated_at),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, keys[primary], algorithm="HS256", headers={"kid": primary})
    return token, settings.access_token_seconds


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def verify_access_token(token: str) -> AccessClaims:
    """The claims of a valid, unexpired access token signed by one of the configured keys; 401 otherwise."""
    _, keys = _keys(get_settings().jwt_keys)
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized(
                "The access token was signed by an unknown key; log in again.", field="Authorization"
            )
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "auth_time"]},
        )
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_family=uuid.UUID(claims["sid"]),
            authenticated_at=float(claims["auth_time"]),
            expires_at=float(claims["exp"]),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized(
            "The access token has expired; get a new one from POST /api/v1/auth/refresh.",
            field="Authorization",
        ) from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("The access token is not valid.", field="Authorization") from None
