"""`POST /api/v1/pay` without FastAPI's routing and dependency injection: the platform's hottest route.

FastAPI matches a request by walking every included router on every request (40 of them here) and solves the
route's dependencies through its general machinery, which together took about a quarter of an initiation's CPU
(issue 14's profile). The lane answers `POST /api/v1/pay` itself, calling the same functions the route declares,
in FastAPI's order: the app's JSON media-type rule, the merchant guard (signature, replay check, admission, rate
limit, the `payments:write` permission), then the route's own handler. Everything else goes on to FastAPI, and the
route stays declared there too, so the OpenAPI document is unchanged. Errors are rendered by the app's one
renderer, the same as its exception handlers would.

It sits innermost among the app's middlewares: the request id, security and rate-limit headers and the usage
count apply to it as to any route (it names the route in the scope for them)."""

from __future__ import annotations

from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from lightspeedpay import http_errors
from lightspeedpay.errors import AppError
from lightspeedpay.identity.deps import authenticate_merchant, merchant_guard
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.parsing import require_json_media_type

PATH = "/api/v1/pay"


class PayLane:
    def __init__(self, app: ASGIApp, route: BaseRoute, handler: Any) -> None:
        """`route`: the FastAPI route of `POST /api/v1/pay` (its template and declaration); `handler`: its
        endpoint, called with the request and the merchant."""
        self.app = app
        self.route = route
        self.handler = handler
        self.permission = merchant_guard("payments").dependency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        request = Request(scope, receive)
        try:
            await require_json_media_type(request)
            merchant = await authenticate_merchant(request)
            await self.permission(request, merchant)
            response = await self.handler(request, merchant)
        except AppError as exc:
            response = http_errors.render(PATH, exc, request)
        except ClientDisconnect:
            response = Response(status_code=499)  # the client went away; nothing to answer, nothing to log
        except Exception:
            log.exception("unhandled_error", path=PATH)
            response = http_errors.render(PATH, http_errors.unexpected(), request)
        await response(scope, receive, send)


def pay_route(routes: Any) -> BaseRoute:
    """The route of `POST /api/v1/pay` among a router's routes."""
    for route in routes:
        if getattr(route, "path", None) == PATH and "POST" in (getattr(route, "methods", None) or ()):
            return route  # type: ignore[no-any-return]
    raise LookupError(f"no POST {PATH} route")
