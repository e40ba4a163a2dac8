"""Errors as HTTP responses: one shape for every error (or the shape of the API face a path belongs to), and
the app's handlers for our errors, validation failures, 404/405 and anything unexpected."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from lightspeedpay.errors import AppError, BadRequest, HttpError, InternalError, ValidationFailed
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.responses import json_response

_FIELD_MESSAGES = {
    "missing": "is required",
    "int_type": "must be an integer number of paise",
    "int_parsing": "must be an integer number of paise",
    "int_from_float": "must be an integer number of paise, not a fraction",
}


def _validation_error(exc: RequestValidationError) -> AppError:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    kind = first.get("type", "")
    if kind == "json_invalid":
        return BadRequest("The request body is not valid JSON.", field=None)
    if kind == "model_attributes_type" or (kind == "dict_type" and not loc):
        return BadRequest("The request body must be a JSON object.")
    detail = _FIELD_MESSAGES.get(kind) or first.get("msg", "is invalid")
    return ValidationFailed(f"{field or 'request'} {detail}".strip(), field=field)


# A surface that words its errors differently (the Razorpay-compatible /v1, the consoles' HTML pages): path
# prefix -> renderer.
# The renderer gets the request when there is one (a handler's error), not when only the path is known.
ErrorRenderer = Callable[[Request | None, AppError], Response]
_SURFACES: list[tuple[str, ErrorRenderer]] = []


def register_surface(path_prefix: str, renderer: ErrorRenderer) -> None:
    _SURFACES.append((path_prefix, renderer))


def render(path: str, exc: AppError, request: Request | None = None) -> Response:
    """The error response for a request to `path`: our shape, or the shape of the surface it belongs to."""
    for prefix, renderer in _SURFACES:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return renderer(request, exc)
    return json_response(exc.body(), status_code=exc.status_code)


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return render(request.url.path, exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return render(request.url.path, _validation_error(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return render(request.url.path, HttpError(exc.status_code, str(exc.detail)), request)

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, __: ClientDisconnect) -> Response:
        return Response(status_code=499)  # the client went away; nothing to answer, nothing to log

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path)
        return render(request.url.path, unexpected(), request)


def unexpected() -> AppError:
    return InternalError("Something went wrong on our side; it has been logged.")
