"""Console tests over HTTP: an operator of a role, logged in with a real session cookie."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.people.support import create_person, log_in, new_email

PASSWORD = "console-test-password-1"


async def operator(session: AsyncSession, role: str = "owner", *, password: str | None = None):
    """A person of operator staff with the role; their email and the headers of a logged-in browser."""
    user = await create_person(session, operator_role=role, password=password, email=new_email(role))
    return user, await log_in(session, user.id)


def client(base_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30, follow_redirects=False)


async def merchant_person(
    session: AsyncSession, role: str = "owner", *, merchant=None, password: str | None = None
):
    """A person of a merchant's team with the role (a new merchant unless one is given): the merchant, the person
    and the headers of a logged-in browser."""
    from tests.factories import create_merchant

    merchant = merchant or await create_merchant(session)
    user = await create_person(
        session, member_of=merchant.client.id, role=role, password=password, email=new_email(role)
    )
    return merchant, user, await log_in(session, user.id)
