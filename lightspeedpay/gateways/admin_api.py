"""The operator's admin API for the gateway pool: `/api/v1/admin/gateways` (bearer admin token).

Credentials go in and are stored encrypted; responses only ever carry `credentials_hint`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from lightspeedpay.auth.signature import read_body
from lightspeedpay.errors import BadRequest, ValidationFailed
from lightspeedpay.gateways.schemas import (
    ConnectivityResult,
    GatewayCreate,
    GatewayDeactivated,
    GatewayHealthList,
    GatewayList,
    GatewayOut,
    GatewayUpdate,
    PriorityItem,
    PriorityUpdate,
)
from lightspeedpay.gateways.service import GatewayNameTaken, GatewayNotFound, gateway_service
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard
from lightspeedpay.kit.openapi import inline_schema
from lightspeedpay.kit.parsing import from_validation_error, parse_json, validate_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models import PaymentGateway
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(
    prefix="/api/v1/admin/gateways",
    tags=["admin: gateways"],
    dependencies=[operator_guard("gateways")],
    responses={401: {"description": "UNAUTHORIZED: missing or wrong admin token"}},
)
_NOT_FOUND = GatewayNotFound.openapi()
_BAD_GATEWAY_INPUT = {
    422: {"description": "VALIDATION_ERROR / UNKNOWN_PROVIDER / INVALID_CREDENTIALS"},
    **GatewayNameTaken.openapi(),
}


def _body_doc(model: type[BaseModel], example: Any) -> dict[str, Any]:
    """The request body for OpenAPI; the body is parsed by hand (for our error shape), so FastAPI cannot see it.
    Nested models are inlined: FastAPI does not register them as components from here."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(model), "example": example}},
        }
    }


def _gateway_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise GatewayNotFound("No gateway with this id.", field="gateway_id") from None


def _out(gateway: PaymentGateway) -> GatewayOut:
    return GatewayOut.model_validate(gateway).model_copy(
        update={"current_volume": gateway_service.volume_used(gateway)}
    )


def _priorities(raw: bytes) -> list[PriorityItem]:
    if not raw.strip():
        raise BadRequest('The request body is empty; send a JSON array of {"id", "priority"} objects.')
    try:
        return validate_json(PriorityUpdate, raw).root
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise BadRequest("The request body is not valid JSON.") from None
        if not first["loc"]:
            raise BadRequest('The request body must be a JSON array of {"id", "priority"} objects.') from None
        if first["type"] == "model_type":
            raise ValidationFailed(
                "Each item must be an object with id and priority.", field=str(first["loc"][0])
            ) from None
        raise from_validation_error(exc) from None


@router.get("", response_model=GatewayList, summary="Every gateway in the pool, best first")
async def list_gateways(session: ReadSession) -> GatewayList:
    return GatewayList(items=[_out(g) for g in await gateway_service.all(session)])


@router.post(
    "",
    status_code=201,
    response_model=GatewayOut,
    responses=_BAD_GATEWAY_INPUT,
    summary="Add a gateway",
    openapi_extra=_body_doc(
        GatewayCreate,
        {
            "name": "razorpay_2",
            "provider": "razorpay",
            "base_url": "https://api.razorpay.com",
            "credentials": {"key_id": "rzp_live_…", "key_secret": "…", "webhook_secret": "…"},
            "monthly_limit": 500_000_000,
            "priority": 2,
            "is_active": True,
        },
    ),
)
async def create_gateway(request: Request, admin: CurrentAdmin, session: WriteSession) -> GatewayOut:
    body = parse_json(GatewayCreate, await read_body(request))
    return _out(await gateway_service.create(session, body, actor=admin.actor))


@router.get(
    "/health",
    response_model=GatewayHealthList,
    summary="Success rate, recent attempts and latency, volume and breaker state per gateway",
)
async def gateway_health(
    session: ReadSession,
    window_minutes: Annotated[int, Query(ge=1, le=10_080, description="the sliding window, in minutes")] = 60,
) -> GatewayHealthList:
    items = await gateway_service.health(session, window_minutes=window_minutes)
    return GatewayHealthList(window_minutes=window_minutes, items=items)


@router.put(
    "/priority",
    response_model=GatewayList,
    responses={**_NOT_FOUND, 422: {"description": "VALIDATION_ERROR"}},
    summary="Set several priorities at once (all or nothing)",
    openapi_extra=_body_doc(
        PriorityUpdate, [{"id": "6f1c…", "priority": 10}, {"id": "9a2e…", "priority": 5}]
    ),
)
async def set_priorities(request: Request, admin: CurrentAdmin, session: WriteSession) -> GatewayList:
    items = _priorities(await read_body(request))
    return GatewayList(
        items=[_out(g) for g in await gateway_service.set_priorities(session, items, actor=admin.actor)]
    )


@router.get("/{gateway_id}", response_model=GatewayOut, responses=_NOT_FOUND, summary="One gateway")
async def get_gateway(gateway_id: str, session: ReadSession) -> GatewayOut:
    return _out(await gateway_service.get(session, _gateway_id(gateway_id)))


@router.patch(
    "/{gateway_id}",
    response_model=GatewayOut,
    responses={**_NOT_FOUND, **_BAD_GATEWAY_INPUT},
    summary="Change a gateway; `credentials` replaces the whole set, `temp_failed: false` clears the breaker",
    openapi_extra=_body_doc(GatewayUpdate, {"priority": 3, "temp_failed": False}),
)
async def update_gateway(
    gateway_id: str, request: Request, admin: CurrentAdmin, session: WriteSession
) -> GatewayOut:
    gid = _gateway_id(gateway_id)
    body = parse_json(GatewayUpdate, await read_body(request))
    return _out(await gateway_service.update(session, gid, body, actor=admin.actor))


@router.delete(
    "/{gateway_id}",
    status_code=204,
    responses={
        **_NOT_FOUND,
        200: {
            "model": GatewayDeactivated,
            "description": "the gateway has payments or events, so it was deactivated instead",
        },
        204: {"description": "deleted"},
    },
    summary="Delete a gateway, or deactivate it when records refer to it",
)
async def delete_gateway(gateway_id: str, admin: CurrentAdmin, session: WriteSession) -> Response:
    kept = await gateway_service.retire(session, _gateway_id(gateway_id), actor=admin.actor)
    if kept is None:
        return Response(status_code=204)
    body = GatewayDeactivated(**_out(kept).model_dump(), deactivated=True)
    return json_response(body.model_dump(mode="json"))


@router.post(
    "/{gateway_id}/test",
    response_model=ConnectivityResult,
    responses=_NOT_FOUND,
    summary="Call the PSP with the stored credentials; a PSP failure is ok=false, not an error",
)
async def test_gateway(gateway_id: str, session: ReadSession) -> ConnectivityResult:
    return await gateway_service.check_connectivity(session, _gateway_id(gateway_id))


__all__ = ["router"]
