"""Signed requests to the LightSpeedPay API with httpx (pip install httpx)."""

import hashlib
import hmac
import json
import os
import time

import httpx

API = os.environ.get("LSP_API", "http://127.0.0.1:8000")


def sign(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of "timestamp.METHOD.path.body", keyed with your key secret. `path` includes the
    query string; `body` is the exact bytes you send (empty for a GET)."""
    message = f"{timestamp}.{method}.{path}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class LightSpeedPay:
    """A small client: every request signed with your API key id and secret."""

    def __init__(self, key_id: str, key_secret: str, base_url: str = API) -> None:
        self.key_id, self.key_secret = key_id, key_secret
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def request(self, method: str, path: str, payload: object = None, headers: dict | None = None) -> dict:
        body = b"" if payload is None else json.dumps(payload).encode()
        timestamp = str(int(time.time()))
        signed = {
            "X-Client-Key": self.key_id,
            "X-Timestamp": timestamp,
            "X-Signature": sign(self.key_secret, timestamp, method, path, body),
        }
        if body:
            signed["Content-Type"] = "application/json"
        answer = self.http.request(method, path, content=body, headers={**(headers or {}), **signed})
        if answer.is_error:  # {"error": {"code", "message", "field"}}
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json()
