"""OpenAPI for routes that read their raw body by hand (it is signed, and parsed into our error shape), so
FastAPI cannot see the model: the request body and its examples are described here, nested models inlined."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` inlined: a `#/$defs/...` reference would not resolve inside
    the OpenAPI document, and FastAPI does not register models it never saw as components."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)


def request_body(
    model: type[BaseModel],
    examples: dict[str, Any],
    *,
    required: bool = True,
    headers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`openapi_extra` for a route: the body schema, named examples, and extra header parameters."""
    extra: dict[str, Any] = {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {
                    "schema": inline_schema(model),
                    "examples": {name: {"value": value} for name, value in examples.items()},
                }
            },
        }
    }
    if headers:
        extra["parameters"] = headers
    return extra


def header(name: str, description: str, *, max_length: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if max_length:
        schema["maxLength"] = max_length
    return {"name": name, "in": "header", "required": False, "description": description, "schema": schema}


IDEMPOTENCY_HEADERS = [
    header(
        "Idempotency-Key",
        "Up to 255 characters, unique per request you mean once (a UUID v4 is good). "
        "A retry with the same key and the same request replays the first response, marked "
        "`Idempotent-Replayed: true`; kept for 24 hours.",
        max_length=255,
    ),
]
REFUND_IDEMPOTENCY_HEADERS = [
    *IDEMPOTENCY_HEADERS,
    header(
        "X-Refund-Idempotency",
        "Razorpay's name for the same thing on refunds; either header works.",
        max_length=255,
    ),
]
