"""AES-256-GCM for secrets at rest, with a key id in every ciphertext so keys can rotate."""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lightspeedpay.config import get_settings


class KeyRing:
    def __init__(self, spec: str) -> None:
        self.keys: dict[str, bytes] = {}
        self.primary = ""
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            kid, _, b64 = part.partition(":")
            key = base64.b64decode(b64)
            if len(key) != 32:
                raise ValueError(f"encryption key {kid!r} must be 32 bytes (base64), got {len(key)}")
            self.keys[kid] = key
            self.primary = self.primary or kid
        if not self.primary:
            raise ValueError("LSP_ENCRYPTION_KEYS is empty")

    def encrypt(self, plaintext: str, *, kid: str | None = None) -> str:
        kid = kid or self.primary
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[kid]).encrypt(nonce, plaintext.encode(), kid.encode())
        return f"{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str) -> str:
        kid, _, b64 = token.partition(":")
        raw = base64.b64decode(b64)
        return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], kid.encode()).decode()

    def key_id(self, token: str) -> str:
        return token.partition(":")[0]


@lru_cache
def keyring() -> KeyRing:
    return KeyRing(get_settings().encryption_keys)


def encrypt(plaintext: str) -> str:
    return keyring().encrypt(plaintext)


def decrypt(token: str) -> str:
    return keyring().decrypt(token)


def mask(secret: str, *, keep: int = 4) -> str:
    """A hint a person can recognise a secret by, never enough to use it."""
    if len(secret) <= keep * 2:
        return "*" * len(secret)
    return f"{secret[:keep]}…{secret[-keep:]}"


def random_token(prefix: str, nbytes: int = 24) -> str:
    return f"{prefix}{secrets.token_hex(nbytes)}"


def new_key_spec(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"
