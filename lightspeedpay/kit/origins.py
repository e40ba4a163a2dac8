"""Web origins (`scheme://host[:port]`) as a browser sends them in `Origin`: what a merchant registers for its
checkout (frame-ancestors, CORS)."""

from __future__ import annotations

from urllib.parse import urlsplit


def normalized_origin(value: str) -> str:
    """`https://Shop.Example.in:443` → `https://shop.example.in`; ValueError for anything but an http(s) origin
    (a path, a query, credentials, a wildcard)."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("not an origin: use scheme://host[:port]") from None
    host = (parts.hostname or "").lower()
    if (
        parts.scheme not in ("http", "https")
        or not host
        or "*" in host
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or any(c.isspace() or c in "'\";," for c in text)
    ):
        raise ValueError("not an origin: use scheme://host[:port], e.g. https://shop.example.in")
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != default:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}"
