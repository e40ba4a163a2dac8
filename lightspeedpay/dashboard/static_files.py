"""The consoles' static files: our own CSS and JS, and the third-party assets scripts/assets.sh built from npm
into static/vendor. URLs carry the version (`?v=`), so browsers may keep them for a day."""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"


class ConsoleStatic(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"cache-control", b"public, max-age=86400")],
                }
            await send(message)

        await super().__call__(scope, receive, send_cached)


def console_static() -> StaticFiles:
    vendor = STATIC_DIR / "vendor"
    if not (vendor / "htmx.min.js").exists():
        # the pages would load but do nothing live; say how to build the assets rather than serve 404s quietly
        raise RuntimeError(
            "The consoles' assets are missing: run scripts/assets.sh (it installs them from npm)."
        )
    return ConsoleStatic(directory=STATIC_DIR)
