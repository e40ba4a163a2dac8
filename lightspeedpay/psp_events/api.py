"""`/api/v1/webhooks/psp/{provider}/{gateway_id}`: verify the PSP's signature, store the event once, 200."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lightspeedpay.auth.signature import read_body
from lightspeedpay.errors import InvalidSignature, NotFound
from lightspeedpay.gateways.adapters import get_adapter
from lightspeedpay.gateways.adapters.base import InvalidPspSignature
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.kit.responses import json_response
from lightspeedpay.psp_events.service import psp_event_service
from lightspeedpay.sessions import WriteSession

router = APIRouter(tags=["psp webhooks"])


@router.post(
    "/api/v1/webhooks/psp/{provider}/{gateway_id}",
    include_in_schema=True,
    summary="Receive a PSP's webhook (called by PSPs, not merchants)",
)
async def receive_psp_webhook(
    provider: str, gateway_id: str, request: Request, session: WriteSession
) -> Response:
    body = await read_body(request)
    try:
        gid = uuid.UUID(gateway_id)
    except ValueError:
        raise NotFound("No such gateway.", field="gateway_id") from None
    gateway = await gateway_service.find(session, gid)
    if gateway is None or gateway.provider != provider:
        raise NotFound("No such gateway for this provider.", field="gateway_id")
    try:
        event = get_adapter(provider).parse_webhook(
            gateway_service.account(gateway), dict(request.headers), body
        )
    except InvalidPspSignature:
        raise InvalidSignature("The PSP signature does not verify.") from None
    created = await psp_event_service.record(session, gateway, event, body)
    return json_response({"status": "ok", "duplicate": not created})
