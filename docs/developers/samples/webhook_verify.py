"""Standard Webhooks verification with the standard library (or: pip install standardwebhooks)."""

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(Exception):
    pass


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Raises WebhookVerificationError unless one of the v1 signatures in `webhook-signature` is the base64
    HMAC-SHA256 of "webhook-id.webhook-timestamp.body", keyed with the whsec_ secret's decoded bytes, and the
    timestamp is within 5 minutes of now. `body` is the raw request body: verify before parsing it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id, timestamp = lowered.get("webhook-id"), lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not signatures or not (timestamp.isascii() and timestamp.isdigit()):
        raise WebhookVerificationError(
            "missing or malformed webhook-id, webhook-timestamp or webhook-signature"
        )
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookVerificationError("webhook-timestamp is more than 5 minutes away")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return
    raise WebhookVerificationError("no signature matches")
