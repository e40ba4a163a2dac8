"""The merchant's webhook management API: `/api/v1/merchant/webhooks` (signed merchant requests).

Endpoints (CRUD), secret rotation and reveal, a signed test `ping`, each endpoint's delivery log and manual
retries."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from lightspeedpay.identity.deps import CurrentMerchant, ReauthenticationRequired, merchant_guard
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.kit.responses import json_response
from lightspeedpay.models.base import values
from lightspeedpay.models.webhook_delivery_attempt import WebhookDeliveryAttemptStatus
from lightspeedpay.sessions import ReadSession, WriteSession
from lightspeedpay.webhooks.endpoint_service import (
    TooManyEndpoints,
    WebhookEndpointNotFound,
    WebhookUrlNotAllowed,
    endpoint_service,
)
from lightspeedpay.webhooks.schemas import (
    DeliveryList,
    EndpointCreate,
    EndpointList,
    EndpointOut,
    EndpointSecrets,
    EndpointUpdate,
    EndpointWithSecret,
    RetryQueued,
    SigningSecretOut,
    TestQueued,
    TestRequest,
)
from lightspeedpay.webhooks.service import (
    DeliveryNotFound,
    DeliveryNotRetryable,
    NoEnabledEndpoint,
    webhook_service,
)

router = APIRouter(
    prefix="/api/v1/merchant/webhooks",
    tags=["merchant: webhooks"],
    responses={401: {"description": "UNAUTHORIZED / INVALID_SIGNATURE / STALE_TIMESTAMP"}},
    dependencies=[merchant_guard("webhooks")],
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = WebhookEndpointNotFound.openapi()
_BAD_INPUT: dict[int | str, dict[str, Any]] = {
    422: {"description": "VALIDATION_ERROR / WEBHOOK_URL_NOT_ALLOWED"},
    400: {"description": "BAD_REQUEST"},
}


def _body_doc(model: type[BaseModel], example: Any) -> dict[str, Any]:
    """The body is parsed from the signed raw bytes by hand (for our error shape); tell OpenAPI about it."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": model.model_json_schema(ref_template="#/components/schemas/{model}"),
                    "example": example,
                }
            },
        }
    }


def _id(raw: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        if field == "delivery_id":
            raise DeliveryNotFound(
                "No delivery with this id belongs to this endpoint.", field=field
            ) from None
        raise WebhookEndpointNotFound(
            "No webhook endpoint with this id belongs to your account.", field=field
        ) from None


def _with_secret(out: EndpointOut, secret: str, *, status_code: int) -> Response:
    body = EndpointWithSecret(**out.model_dump(), secret=secret).model_dump(mode="json")
    # the secret is in this one response only: keep it out of every cache
    return json_response(body, status_code=status_code, headers={"cache-control": "no-store"})


@router.get("", response_model=EndpointList, summary="Your webhook endpoints")
async def list_endpoints(merchant: CurrentMerchant, session: ReadSession) -> EndpointList:
    return EndpointList(
        items=[endpoint_service.out(e) for e in await endpoint_service.list_for_merchant(session, merchant)]
    )


@router.post(
    "",
    status_code=201,
    response_model=EndpointWithSecret,
    responses={**_BAD_INPUT, **TooManyEndpoints.openapi()},
    summary="Add an endpoint; its signing secret is in this response only",
    openapi_extra=_body_doc(
        EndpointCreate,
        {
            "url": "https://shop.example.com/hooks/lsp",
            "event_types": ["payment.paid", "payment.failed"],
            "description": "order service",
        },
    ),
)
async def create_endpoint(request: Request, merchant: CurrentMerchant, session: WriteSession) -> Response:
    body = parse_json(EndpointCreate, request.state.raw_body)
    endpoint, secret = await endpoint_service.create(session, merchant, body)
    return _with_secret(endpoint_service.out(endpoint), secret, status_code=201)


@router.post(
    "/test",
    status_code=202,
    response_model=TestQueued,
    responses={**_NOT_FOUND, **NoEnabledEndpoint.openapi()},
    summary="Send a signed `ping` event to one endpoint (or every enabled one)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": TestRequest.model_json_schema(),
                    "example": {"endpoint_id": "6f1c…"},
                }
            },
        }
    },
)
async def send_test(request: Request, merchant: CurrentMerchant, session: WriteSession) -> TestQueued:
    raw = request.state.raw_body
    body = parse_json(TestRequest, raw) if raw.strip() else TestRequest()
    event, endpoint_ids = await webhook_service.ping(session, merchant, body.endpoint_id)
    return TestQueued(event_id=event.id, endpoint_ids=endpoint_ids)


@router.get("/{endpoint_id}", response_model=EndpointOut, responses=_NOT_FOUND, summary="One endpoint")
async def get_endpoint(endpoint_id: str, merchant: CurrentMerchant, session: ReadSession) -> EndpointOut:
    return endpoint_service.out(
        await endpoint_service.get(session, merchant, _id(endpoint_id, "endpoint_id"))
    )


@router.patch(
    "/{endpoint_id}",
    response_model=EndpointOut,
    responses={**_NOT_FOUND, **_BAD_INPUT},
    summary="Change the URL, event types, description, or enable/disable an endpoint",
    openapi_extra=_body_doc(EndpointUpdate, {"event_types": [], "enabled": True}),
)
async def update_endpoint(
    endpoint_id: str, request: Request, merchant: CurrentMerchant, session: WriteSession
) -> EndpointOut:
    eid = _id(endpoint_id, "endpoint_id")
    body = parse_json(EndpointUpdate, request.state.raw_body)
    return endpoint_service.out(await endpoint_service.update(session, merchant, eid, body))


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    responses=_NOT_FOUND,
    summary="Delete an endpoint; its pending deliveries end failed",
)
async def delete_endpoint(endpoint_id: str, merchant: CurrentMerchant, session: WriteSession) -> Response:
    await endpoint_service.delete(session, merchant, _id(endpoint_id, "endpoint_id"))
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate",
    response_model=EndpointWithSecret,
    responses=_NOT_FOUND,
    summary="Issue a new signing secret; the old one keeps signing too for the grace period (24 h)",
)
async def rotate_secret(endpoint_id: str, merchant: CurrentMerchant, session: WriteSession) -> Response:
    endpoint, secret = await endpoint_service.rotate(session, merchant, _id(endpoint_id, "endpoint_id"))
    return _with_secret(endpoint_service.out(endpoint), secret, status_code=200)


@router.post(
    "/{endpoint_id}/reveal",
    response_model=EndpointSecrets,
    responses={**_NOT_FOUND, **ReauthenticationRequired.openapi()},
    summary="Show the endpoint's signing secret in full (during a rotation's grace, both, with the old one's "
    "end); a person needs a recent login",
)
async def reveal_secret(endpoint_id: str, merchant: CurrentMerchant, session: WriteSession) -> Response:
    endpoint, shown = await endpoint_service.reveal_secrets(
        session, merchant, _id(endpoint_id, "endpoint_id")
    )
    body = EndpointSecrets(
        endpoint_id=endpoint.id,
        secrets=[
            SigningSecretOut(secret=s.secret, secret_hint=s.hint, current=s.current, expires_at=s.expires_at)
            for s in shown
        ],
    )
    return json_response(body.model_dump(mode="json"), headers={"cache-control": "no-store"})


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=DeliveryList,
    responses=_NOT_FOUND,
    summary="The endpoint's delivery log, newest first: one item per HTTP attempt",
)
async def list_deliveries(
    endpoint_id: str,
    merchant: CurrentMerchant,
    session: ReadSession,
    event_type: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[Literal[values(WebhookDeliveryAttemptStatus)] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> DeliveryList:
    eid = _id(endpoint_id, "endpoint_id")
    return await webhook_service.deliveries(
        session, merchant, eid, event_type=event_type, status=status, limit=limit, cursor=cursor
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=RetryQueued,
    responses={**_NOT_FOUND, **DeliveryNotRetryable.openapi()},
    summary="Send the event of this delivery to the endpoint again, now (finished deliveries only)",
)
async def retry_delivery(
    endpoint_id: str, delivery_id: str, merchant: CurrentMerchant, session: WriteSession
) -> RetryQueued:
    eid, did = _id(endpoint_id, "endpoint_id"), _id(delivery_id, "delivery_id")
    delivery, attempt = await webhook_service.retry(session, merchant, eid, did)
    return RetryQueued(delivery_id=did, event_id=delivery.event_id, endpoint_id=eid, attempt=attempt)


__all__ = ["router", "WebhookUrlNotAllowed"]
