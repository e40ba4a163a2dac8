"""Passwords: Argon2id through pwdlib (rehashed on login when the parameters change), and the policy a new
password must meet. Hashing costs ~64 MiB and tens of milliseconds, so it runs in a thread."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from pwdlib import PasswordHash

from lightspeedpay.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 256  # Argon2 takes any length; a megabyte "password" is a denial of service, not a secret

# the commonest passwords of breach corpora that are 12 characters or longer (the short ones fail the length)
_COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "qwertyuiop123",
        "password1234",
        "password12345",
        "passwordpassword",
        "iloveyou1234",
        "111111111111",
        "000000000000",
        "aaaaaaaaaaaa",
        "abcdefghijkl",
        "abc123abc123",
        "letmein12345",
        "welcome12345",
        "administrator",
        "lightspeedpay",
        "lightspeedpay1",
        "changeme1234",
    }
)


class WeakPassword(ValidationFailed):
    code = "WEAK_PASSWORD"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def check_policy(password: str, *, email: str) -> None:
    """A new password: at least 12 characters, not the email (or its name part), not a well-known one, not one
    character repeated."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPassword(f"Choose a password of at least {MIN_LENGTH} characters.", field="password")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"A password can be at most {MAX_LENGTH} characters.", field="password")
    lowered = password.strip().lower()
    local = email.strip().lower().partition("@")[0]
    if lowered in (email.strip().lower(), local) or (
        len(local) >= 4 and lowered.startswith(local) and len(set(lowered[len(local) :])) <= 2
    ):
        raise WeakPassword("The password must not be your email address.", field="password")
    if lowered in _COMMON or len(set(lowered)) <= 2:
        raise WeakPassword(
            "This password is too easy to guess (it is in lists of breached passwords).", field="password"
        )


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


async def verify_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """(matches, a new hash to store when the stored one used older parameters). A missing hash still costs a
    hash, so an unknown account answers as slowly as a wrong password."""
    if stored is None:
        await asyncio.to_thread(_hasher().hash, password)
        return False, None
    if len(password) > MAX_LENGTH:
        return False, None
    return await asyncio.to_thread(_hasher().verify_and_update, password, stored)
