"""People in tests: accounts and memberships written to the database, a logged-in browser session (a session
row and its cookie + CSRF header, as the login API would issue), and the emails the SMTP stand-in received."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.identity import tokens
from lightspeedpay.identity.passwords import hash_password
from lightspeedpay.models import MerchantMembership, RefreshToken, User, UserSession
from tests.factories import wait_for
from tests.fixtures import Platform


def new_email(name: str = "p") -> str:
    return f"{name}-{secrets.token_hex(4)}@example.in"


async def create_person(
    session: AsyncSession,
    *,
    email: str | None = None,
    password: str | None = None,
    operator_role: str | None = None,
    member_of: uuid.UUID | None = None,
    role: str = "owner",
    verified: bool = True,
) -> User:
    user = User(
        id=uuid.uuid4(),
        email=email or new_email(),
        password_hash=await hash_password(password) if password else None,
        operator_role=operator_role,
        email_verified_at=datetime.now(UTC) if verified else None,
    )
    session.add(user)
    await session.flush()
    if member_of is not None:
        session.add(MerchantMembership(id=uuid.uuid4(), user_id=user.id, client_id=member_of, role=role))
    await session.commit()
    return user


async def add_member(session: AsyncSession, user_id: uuid.UUID, client_id: uuid.UUID, role: str) -> None:
    session.add(MerchantMembership(id=uuid.uuid4(), user_id=user_id, client_id=client_id, role=role))
    await session.commit()


async def log_in(session: AsyncSession, user_id: uuid.UUID, *, minutes_ago: float = 0) -> dict[str, str]:
    """A browser session of the person, authenticated `minutes_ago`: the headers its requests carry (the
    session cookie and its CSRF token)."""
    token = tokens.new_token(tokens.SESSION_PREFIX)
    now = datetime.now(UTC)
    session.add(
        UserSession(
            id=uuid.uuid4(),
            user_id=user_id,
            token_hash=tokens.digest(token),
            last_seen_at=now,
            authenticated_at=now - timedelta(minutes=minutes_ago),
            expires_at=now + timedelta(hours=12),
        )
    )
    await session.commit()
    return {"Cookie": f"{get_settings().session_cookie}={token}", "X-CSRF-Token": tokens.csrf_token(token)}


async def mails(platform: Platform, to: str, *, contains: str | None = None) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as c:
        params = {"to": to, **({"contains": contains} if contains else {})}
        r = await c.get(f"{platform.smtp_url}/_smtp/messages", params=params)
        r.raise_for_status()
        return list(r.json())


async def wait_mail(
    platform: Platform, to: str, *, contains: str | None = None, count: int = 1, timeout: float = 30
) -> dict[str, Any]:
    """The newest of the first `count` emails to `to` (with `contains` in the subject or text)."""

    async def arrived() -> list[dict[str, Any]] | None:
        found = await mails(platform, to, contains=contains)
        return found if len(found) >= count else None

    found = await wait_for(arrived, timeout=timeout, what=f"{count} email(s) to {to} ({contains})")
    return found[count - 1]


def token_of(message: dict[str, Any]) -> str:
    """The one-time token in the email's link."""
    for link in message["links"]:
        token = parse_qs(urlsplit(link).query).get("token")
        if token:
            return token[0]
    raise AssertionError(f"no token link in {message['subject']!r}: {message['links']}")


async def access_token(session: AsyncSession, *, operator_role: str | None = None) -> tuple[User, str]:
    """A person (verified, operator staff when given a role) and a real access token of a live refresh family:
    what POST /api/v1/auth/login would have given them. Not committed."""
    user = User(
        id=uuid.uuid4(),
        email=f"p{secrets.token_hex(5)}@example.in",
        operator_role=operator_role,
        email_verified_at=datetime.now(UTC),
    )
    session.add(user)
    await session.flush()  # no relationship orders the inserts: the user first
    family = uuid.uuid4()
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            family_id=family,
            user_id=user.id,
            token_hash=tokens.digest(tokens.new_token(tokens.REFRESH_PREFIX)),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )
    await session.flush()
    token, _ = tokens.issue_access_token(user.id, family, authenticated_at=time.time())
    return user, token
