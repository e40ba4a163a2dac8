"""People for the identity tests: a user row made the way the CLI makes one, and logging in over HTTP."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.identity import passwords
from lightspeedpay.models import MerchantMembership, User

PASSWORD = "violet-harbour-lantern-42"


@dataclass
class Someone:
    id: uuid.UUID
    email: str
    password: str = PASSWORD


async def create_person(
    session: AsyncSession,
    *,
    operator_role: str | None = None,
    merchant_id: uuid.UUID | None = None,
    merchant_role: str = "owner",
    password: str = PASSWORD,
    email: str | None = None,
) -> Someone:
    email = email or f"p{uuid.uuid4().hex[:10]}@example.com"
    user = User(
        id=uuid.uuid4(),
        email=email,
        password_hash=await passwords.hash_password(password),
        operator_role=operator_role,
    )
    session.add(user)
    await session.flush()
    if merchant_id is not None:
        session.add(
            MerchantMembership(id=uuid.uuid4(), user_id=user.id, client_id=merchant_id, role=merchant_role)
        )
    await session.commit()
    return Someone(user.id, email, password)


async def login(http: httpx.AsyncClient, who: Someone, **body: Any) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"email": who.email, "password": who.password, **body})


async def token_login(http: httpx.AsyncClient, who: Someone, **body: Any) -> dict[str, Any]:
    r = await login(http, who, mode="token", **body)
    assert r.status_code == 200, r.text
    tokens: dict[str, Any] = r.json()
    return tokens


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def session_cookie(r: httpx.Response) -> str:
    value = r.cookies.get(get_settings().session_cookie)
    assert value, r.headers.get("set-cookie")
    return value


def next_code(secret: str) -> str:
    """The code of the next time step: accepted (the check allows one step of clock drift) even right after the
    current step's code was used, so a test need not wait 30 s."""
    return pyotp.TOTP(secret).at(time.time() + 30)
