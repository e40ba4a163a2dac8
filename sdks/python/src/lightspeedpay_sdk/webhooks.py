"""Verifying the platform's webhook deliveries (Standard Webhooks): the HMAC-SHA256 of
`{webhook-id}.{webhook-timestamp}.{raw body}` keyed with the endpoint's `whsec_` secret, base64, among the
space-separated `v1,` signatures of `webhook-signature`, with a timestamp within the tolerance of now."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Optional, Union, cast

from lightspeedpay_sdk.errors import WebhookVerificationError
from lightspeedpay_sdk.models import WebhookEvent

TOLERANCE_SECONDS = 5 * 60


def _key(secret: str) -> bytes:
    raw = secret[len("whsec_") :] if secret.startswith("whsec_") else secret
    if not raw:
        raise WebhookVerificationError("the webhook secret is empty")
    try:
        # unpadded base64 decodes too, as the reference libraries allow
        return base64.b64decode(raw + "==")
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the webhook secret is not a whsec_ base64 secret") from None


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature the platform puts in `webhook-signature` for this delivery."""
    digest = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    secret: Union[str, Sequence[str]],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: Optional[float] = None,
) -> WebhookEvent:
    """The delivery's event, once verified; raises WebhookVerificationError otherwise.

    `secret` is your endpoint's `whsec_…` secret, or several (the old and the new one while you switch after a
    rotation): any of them may match any of the signatures. `headers` as received (any case); `body` the raw
    bytes, before any JSON parsing. `now` (Unix seconds) is for tests."""
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise WebhookVerificationError("no webhook secret given")
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    timestamp_text = lowered.get("webhook-timestamp", "")
    header = lowered.get("webhook-signature", "")
    if not msg_id or not header or not (timestamp_text.isascii() and timestamp_text.isdigit()):
        raise WebhookVerificationError(
            "missing or malformed webhook-id, webhook-timestamp or webhook-signature"
        )
    timestamp = int(timestamp_text)
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise WebhookVerificationError("webhook-timestamp is too old")
    if timestamp > current + tolerance:
        raise WebhookVerificationError("webhook-timestamp is too new")
    candidates = [
        signature.encode()
        for version, _, signature in (entry.partition(",") for entry in header.split(" ") if entry)
        if version == "v1" and signature
    ]
    for one in secrets:
        expected = sign_webhook(one, msg_id, timestamp, body)[len("v1,") :].encode()
        # every candidate is compared, in constant time each, whatever matched before
        if any([hmac.compare_digest(expected, candidate) for candidate in candidates]):
            return _event(body)
    raise WebhookVerificationError("no signature matches")


def _event(body: bytes) -> WebhookEvent:
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return cast(WebhookEvent, event)


class WebhookVerifier:
    """A verifier holding your endpoint's secret (or secrets, during a rotation), for a receiver to reuse."""

    def __init__(self, secret: Union[str, Sequence[str]], *, tolerance: int = TOLERANCE_SECONDS) -> None:
        self._secrets = [secret] if isinstance(secret, str) else list(secret)
        for one in self._secrets:
            _key(one)  # a malformed secret fails here, not at the first delivery
        self.tolerance = tolerance

    def __repr__(self) -> str:
        return f"WebhookVerifier(secrets=<{len(self._secrets)} hidden>, tolerance={self.tolerance})"

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: Optional[float] = None) -> WebhookEvent:
        return verify_webhook(self._secrets, headers, body, tolerance=self.tolerance, now=now)
