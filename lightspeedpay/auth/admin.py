"""Operator authentication for the admin API: `Authorization: Bearer <LSP_ADMIN_TOKEN>`, checked in constant time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lightspeedpay.config import get_settings
from lightspeedpay.errors import Unauthorized
from lightspeedpay.kit.signing import equal

# auto_error=False: a missing or malformed header is answered in our error shape, not FastAPI's
_bearer = HTTPBearer(
    auto_error=False, scheme_name="AdminToken", description="The operator's admin token (LSP_ADMIN_TOKEN)."
)


@dataclass(frozen=True)
class Admin:
    """An authenticated operator. One shared token today; named operators and roles can come later."""

    name: str = "admin"

    @property
    def actor(self) -> str:
        """How the audit log names this operator."""
        return f"admin:{self.name}"


def _digest(token: str) -> bytes:
    # comparing fixed-length digests keeps the comparison's time independent of the token's length too
    return hashlib.sha256(token.encode()).digest()


async def authenticate_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Admin:
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthorized(
                "The Authorization header must be `Bearer <admin token>`.", field="Authorization"
            )
        raise Unauthorized(
            "The Authorization header is missing; send `Authorization: Bearer <admin token>`.",
            field="Authorization",
        )
    expected = get_settings().admin_token
    if not expected or not equal(_digest(credentials.credentials.strip()), _digest(expected)):
        raise Unauthorized("The admin token is not valid.", field="Authorization")
    return Admin()


CurrentAdmin = Annotated[Admin, Depends(authenticate_admin)]
