"""Switchable PSP faults, per account and for every provider: how the API answers and how webhooks go out.

`PUT /_sim/accounts/{key_id}/faults` with a JSON body sets them (an empty body clears them), `GET` reads
them, with `calls_held`: the account's API calls a `timeout` fault is holding right now. Routers call
`api_fault` after authenticating a call and hand their webhooks to `dispatch`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lightspeedpay.gateways.simulator import web
from lightspeedpay.gateways.simulator.state import Account, SimulatorState


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decline: bool = False  # order creation answers a 4xx business error
    http_5xx: bool | int = False  # true for 500, or the 5xx status to answer with
    timeout: bool = False  # the API sleeps timeout_seconds before answering
    timeout_seconds: float = Field(default=30.0, ge=0, le=600)
    slow_ms: int = Field(default=0, ge=0, le=600_000)  # added to every API answer
    duplicate_webhook: bool = False  # each webhook is sent twice
    out_of_order: bool = False  # events in reverse, or the final one followed by a stale earlier one
    drop_webhook: bool = False  # webhooks are never sent

    @field_validator("http_5xx")
    @classmethod
    def _status(cls, value: bool | int) -> bool | int:
        if not isinstance(value, bool) and not 500 <= value <= 599:
            raise ValueError("http_5xx must be true, false or a status from 500 to 599")
        return value

    @property
    def outage_status(self) -> int | None:
        if self.http_5xx is False:
            return None
        return 500 if self.http_5xx is True else int(self.http_5xx)


NO_FAULTS = Faults()


def faults_for(state: SimulatorState, key_id: str) -> Faults:
    return state.faults.get(key_id, NO_FAULTS)


@dataclass(frozen=True)
class ErrorStyle:
    """How one PSP words an error: a renderer of (status, code, description) and its codes for these two."""

    render: Callable[[int, str, str], Response]
    decline_code: str
    outage_code: str


async def api_fault(
    state: SimulatorState, account: Account, style: ErrorStyle, *, creates_order: bool = False
) -> Response | None:
    """Apply the account's API faults to one call; a response to send instead of the real one, or None."""
    faults = faults_for(state, account.key_id)
    if faults.slow_ms:
        await asyncio.sleep(faults.slow_ms / 1000)
    if faults.timeout:
        # then answer normally: the client has given up, and like a real PSP the work may still happen
        state.held[account.key_id] = state.held.get(account.key_id, 0) + 1
        try:
            await asyncio.sleep(faults.timeout_seconds)
        finally:
            state.held[account.key_id] -= 1
    if faults.outage_status is not None:
        return style.render(faults.outage_status, style.outage_code, "The PSP is having trouble (simulated)")
    if faults.decline and creates_order:
        return style.render(400, style.decline_code, "The PSP declined to create this order (simulated)")
    return None


@dataclass(frozen=True)
class Webhook:
    body: bytes
    headers: dict[str, str]  # lower-case "content-type" when not JSON


def plan(faults: Faults, webhooks: list[Webhook], stale: Webhook | None) -> list[Webhook]:
    """The order webhooks go out in. Out of order: reversed when there are several (Razorpay's
    payment.captured before payment.authorized), else the final event followed by a stale earlier one."""
    if faults.drop_webhook:
        return []
    sequence = list(webhooks)
    if faults.out_of_order:
        sequence = sequence[::-1] if len(sequence) > 1 else sequence + ([stale] if stale else [])
    if faults.duplicate_webhook:
        sequence = [webhook for webhook in sequence for _ in (1, 2)]
    return sequence


def dispatch(
    state: SimulatorState,
    account: Account,
    url: str,
    webhooks: list[Webhook],
    *,
    stale: Webhook | None = None,
) -> None:
    """Send a PSP's webhooks for one happening, one after another, with the account's faults applied."""
    if not url:
        return
    sequence = plan(faults_for(state, account.key_id), webhooks, stale)
    if not sequence:
        state.webhooks_sent.append({"url": url, "dropped": len(webhooks)})
        return
    state.spawn(_send_in_order(state, url, sequence, delay_ms=account.delay_ms))


async def _send_in_order(state: SimulatorState, url: str, sequence: list[Webhook], *, delay_ms: int) -> None:
    for i, webhook in enumerate(sequence):
        await state.deliver(url, webhook.body, webhook.headers, delay_ms=delay_ms if i == 0 else 0)


router = APIRouter()


def _no_account(key_id: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "NOT_FOUND", "description": f"no account {key_id!r}"}}, 404)


@router.put("/_sim/accounts/{key_id}/faults")
async def put_faults(key_id: str, request: Request) -> JSONResponse:
    state = web.sim(request)
    if state.account(key_id) is None:
        return _no_account(key_id)
    raw = await request.body()
    try:
        faults = Faults.model_validate_json(raw) if raw.strip() else NO_FAULTS
    except ValidationError as exc:
        return JSONResponse({"error": {"code": "BAD_REQUEST_ERROR", "description": str(exc)}}, 422)
    if faults == NO_FAULTS:
        state.faults.pop(key_id, None)
    else:
        state.faults[key_id] = faults
    return JSONResponse({"key_id": key_id, **faults.model_dump()})


@router.get("/_sim/accounts/{key_id}/faults")
async def get_faults(key_id: str, request: Request) -> JSONResponse:
    state = web.sim(request)
    if state.account(key_id) is None:
        return _no_account(key_id)
    return JSONResponse(
        {"key_id": key_id, **faults_for(state, key_id).model_dump(), "calls_held": state.held.get(key_id, 0)}
    )
