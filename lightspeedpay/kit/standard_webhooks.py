"""Standard Webhooks signing and verification (webhook-id, webhook-timestamp, webhook-signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time


class WebhookVerificationError(Exception):
    pass


def _secret_bytes(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    if not raw:
        raise WebhookVerificationError("empty webhook secret")
    return base64.b64decode(raw + "==")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, payload: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + payload
    digest = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], msg_id: str, timestamp: int, payload: bytes) -> str:
    """Several secrets (during rotation) give several space-delimited signatures."""
    return " ".join(sign(s, msg_id, timestamp, payload) for s in secrets)


def verify(
    secret: str, headers: dict[str, str], payload: bytes, *, tolerance: int = 300, now: float | None = None
) -> None:
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    ts = lowered.get("webhook-timestamp")
    header = lowered.get("webhook-signature")
    if not msg_id or not ts or not header:
        raise WebhookVerificationError("Missing required headers")
    try:
        timestamp = int(ts)
    except ValueError as exc:
        raise WebhookVerificationError("Invalid Signature Headers") from exc
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise WebhookVerificationError("Message timestamp too old")
    if timestamp > current + tolerance:
        raise WebhookVerificationError("Message timestamp too new")
    expected = sign(secret, msg_id, timestamp, payload).split(",", 1)[1]
    for entry in header.split(" "):
        version, sep, candidate = entry.partition(",")
        if not sep or version != "v1":
            continue
        if hmac.compare_digest(expected.encode(), candidate.encode()):
            return
    raise WebhookVerificationError("No matching signature found")
