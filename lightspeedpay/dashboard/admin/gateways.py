"""The operator's gateway pool (seed 004's GatewayManager): every gateway with its switch, volume, success rate,
breaker, latency and priority, live from the gateways stream; test a connection, add, edit (credentials masked,
an empty field keeps its value), reorder and retire. Each action calls the service the admin API calls."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.dashboard import errors, i18n, web
from lightspeedpay.errors import AppError, ValidationFailed
from lightspeedpay.gateways.adapters import providers
from lightspeedpay.gateways.schemas import GatewayCreate, GatewayHealth, GatewayUpdate, PriorityItem
from lightspeedpay.gateways.service import GatewayNotFound, gateway_service
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.kit.parsing import from_validation_error
from lightspeedpay.models import PaymentGateway
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("gateways:read")]
Writer = Annotated[Operator, operator_requires("gateways:write")]
LIST = "/admin/gateways"


def _gateway_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise GatewayNotFound("No gateway with this id.", field="gateway_id") from None


async def _rows(session: AsyncSession) -> list[GatewayHealth]:
    """Every gateway, best first, with its figures over the success window (the stream's own view)."""
    return await gateway_service.health(session, window_minutes=get_settings().success_window_minutes)


async def _row(session: AsyncSession, gateway_id: uuid.UUID) -> GatewayHealth:
    for row in await _rows(session):
        if row.id == gateway_id:
            return row
    raise GatewayNotFound("No gateway with this id.", field="gateway_id")


def _list_context(rows: list[GatewayHealth]) -> dict[str, Any]:
    return {"rows": rows, "window": get_settings().success_window_minutes}


def _done(request: Request, name: str, context: dict[str, Any], operator: Operator) -> Response:
    """An action's answer: the changed piece for htmx; back to the list for a plain form."""
    if web.is_htmx(request):
        return web.fragment(request, name, context, operator=operator)
    return RedirectResponse(LIST, status_code=303)


@router.get(LIST, summary="Gateways")
async def gateways(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = _list_context(await _rows(session))
    return web.page(request, "admin/gateways.html", context, operator=operator)


@router.get(f"{LIST}/live", summary="The gateway table, for the live refresh")
async def gateways_live(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    context = _list_context(await _rows(session))
    return web.fragment(request, "admin/_gateways_table.html", context, operator=operator)


@router.post(f"{LIST}/{{gateway_id}}/active", summary="Turn a gateway on or off")
async def set_active(
    request: Request,
    gateway_id: str,
    operator: Writer,
    session: WriteSession,
    is_active: Annotated[str | None, Form()] = None,
) -> Response:
    gid = _gateway_id(gateway_id)
    await gateway_service.update(
        session, gid, GatewayUpdate(is_active=is_active in ("true", "on", "1")), actor=operator.actor
    )
    return _done(
        request,
        "admin/_gateway_row.html",
        {"g": await _row(session, gid), "window": get_settings().success_window_minutes},
        operator,
    )


@router.post(f"{LIST}/{{gateway_id}}/priority", summary="Set a gateway's priority")
async def set_priority(
    request: Request,
    gateway_id: str,
    operator: Writer,
    session: WriteSession,
    priority: Annotated[str, Form()] = "",
) -> Response:
    gid = _gateway_id(gateway_id)
    try:
        body = GatewayUpdate(priority=int(priority.strip()))
    except ValueError as exc:  # not a number, or pydantic's range check
        if isinstance(exc, ValidationError):
            raise from_validation_error(exc) from None
        raise ValidationFailed("priority must be a whole number.", field="priority") from None
    await gateway_service.update(session, gid, body, actor=operator.actor)
    return _done(request, "admin/_gateways_table.html", _list_context(await _rows(session)), operator)


@router.post(f"{LIST}/{{gateway_id}}/move", summary="Move a gateway up or down the order")
async def move(
    request: Request,
    gateway_id: str,
    operator: Writer,
    session: WriteSession,
    direction: Annotated[str, Form()] = "up",
) -> Response:
    """Up takes the place of the gateway above (their priorities swap; on a tie it goes one above it)."""
    gid = _gateway_id(gateway_id)
    pool = await gateway_service.all(session)
    at = next((i for i, g in enumerate(pool) if g.id == gid), None)
    if at is None:
        raise GatewayNotFound("No gateway with this id.", field="gateway_id")
    other = at - 1 if direction == "up" else at + 1
    if 0 <= other < len(pool):
        mine, theirs = pool[at], pool[other]
        if mine.priority == theirs.priority:
            new_mine = theirs.priority + (1 if direction == "up" else -1)
            items = [PriorityItem(id=mine.id, priority=new_mine)]
        else:
            items = [
                PriorityItem(id=mine.id, priority=theirs.priority),
                PriorityItem(id=theirs.id, priority=mine.priority),
            ]
        await gateway_service.set_priorities(session, items, actor=operator.actor)
    return _done(request, "admin/_gateways_table.html", _list_context(await _rows(session)), operator)


@router.post(f"{LIST}/{{gateway_id}}/breaker", summary="Close a gateway's breaker")
async def clear_breaker(
    request: Request, gateway_id: str, operator: Writer, session: WriteSession
) -> Response:
    gid = _gateway_id(gateway_id)
    await gateway_service.update(session, gid, GatewayUpdate(temp_failed=False), actor=operator.actor)
    return _done(
        request,
        "admin/_gateway_row.html",
        {"g": await _row(session, gid), "window": get_settings().success_window_minutes},
        operator,
    )


@router.post(f"{LIST}/{{gateway_id}}/test", summary="Test a gateway's connection")
async def test_connection(
    request: Request, gateway_id: str, operator: Writer, session: ReadSession
) -> Response:
    result = await gateway_service.check_connectivity(session, _gateway_id(gateway_id))
    if not web.is_htmx(request):
        gateway = await gateway_service.get(session, _gateway_id(gateway_id))
        return web.page(
            request, "admin/gateway_test.html", {"result": result, "gateway": gateway}, operator=operator
        )
    return web.fragment(request, "admin/_gateway_test.html", {"result": result}, operator=operator)


@router.post(f"{LIST}/{{gateway_id}}/retire", summary="Retire a gateway")
async def retire(request: Request, gateway_id: str, operator: Writer, session: WriteSession) -> Response:
    """Deleted when nothing refers to it; one with history is deactivated and kept, as the API does."""
    kept = await gateway_service.retire(session, _gateway_id(gateway_id), actor=operator.actor)
    if not web.is_htmx(request):
        return RedirectResponse(LIST, status_code=303)
    message = (
        i18n.gettext(_("The gateway was deleted."))
        if kept is None
        else i18n.gettext(_("Payments refer to this gateway, so it was deactivated and kept."))
    )
    context = {**_list_context(await _rows(session)), "notice": message}
    return web.fragment(request, "admin/_gateways_table.html", context, operator=operator)


# ---- add and edit -------------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    operator: Operator,
    *,
    gateway: PaymentGateway | None,
    provider: str,
    values: dict[str, str],
    error: AppError | None = None,
) -> HTMLResponse:
    masks = gateway_service.credential_masks(gateway) if gateway is not None else {}
    return web.page(
        request,
        "admin/gateway_form.html",
        {
            "gateway": gateway,
            "provider": provider,
            "providers": providers(),
            "fields": gateway_service.credential_fields(provider),
            "masks": masks,
            "values": values,
            "error": error,
            "message": errors.message_for(error) if error is not None else None,
        },
        operator=operator,
        status_code=error.status_code if error is not None else 200,
    )


def _paise(rupees: str) -> int:
    try:
        value = Decimal(rupees.replace(",", "").strip())
    except InvalidOperation:
        raise ValidationFailed(
            "The monthly limit must be an amount in rupees.", field="monthly_limit"
        ) from None
    if not value.is_finite() or value <= 0:
        raise ValidationFailed("The monthly limit must be more than ₹0.", field="monthly_limit")
    return int(value * 100)


def _credentials(form: Any, provider: str) -> dict[str, str]:
    return {f: str(form.get(f"credential_{f}", "")) for f in gateway_service.credential_fields(provider)}


def _plain(form: Any) -> dict[str, str]:
    """What the form showed, to draw it again after a refusal (credentials are never drawn back)."""
    return {k: str(v) for k, v in form.items() if not k.startswith("credential_") and k != "csrf_token"}


@router.get(f"{LIST}/new", summary="Add a gateway: the form")
async def new_form(request: Request, operator: Writer, provider: str = "sandbox") -> HTMLResponse:
    provider = provider if provider in providers() else providers()[0]
    values = {"priority": "1", "monthly_limit": "1000000", "is_active": "true"}
    return _form_page(request, operator, gateway=None, provider=provider, values=values)


@router.post(LIST, summary="Add a gateway")
async def create(request: Request, operator: Writer, session: WriteSession) -> Response:
    form = await request.form()
    provider = str(form.get("provider", ""))
    try:
        try:
            body = GatewayCreate(
                name=str(form.get("name", "")).strip(),
                provider=provider,
                base_url=str(form.get("base_url", "")).strip(),
                credentials={k: v for k, v in _credentials(form, provider).items() if v.strip()},
                monthly_limit=_paise(str(form.get("monthly_limit", ""))),
                priority=int(str(form.get("priority", "1")).strip() or "1"),
                is_active=form.get("is_active") == "true",
            )
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        except ValueError:
            raise ValidationFailed("priority must be a whole number.", field="priority") from None
        await gateway_service.create(session, body, actor=operator.actor)
    except AppError as exc:
        await session.rollback()
        return _form_page(request, operator, gateway=None, provider=provider, values=_plain(form), error=exc)
    return RedirectResponse(LIST, status_code=303)


@router.get(f"{LIST}/{{gateway_id}}/edit", summary="Edit a gateway: the form")
async def edit_form(
    request: Request, gateway_id: str, operator: Writer, session: ReadSession
) -> HTMLResponse:
    gateway = await gateway_service.get(session, _gateway_id(gateway_id))
    values = {
        "name": gateway.name,
        "base_url": gateway.base_url,
        "monthly_limit": str(Decimal(gateway.monthly_limit) / 100),
        "priority": str(gateway.priority),
    }
    return _form_page(request, operator, gateway=gateway, provider=gateway.provider, values=values)


@router.post(f"{LIST}/{{gateway_id}}", summary="Change a gateway")
async def update(request: Request, gateway_id: str, operator: Writer, session: WriteSession) -> Response:
    form = await request.form()
    gateway = await gateway_service.get(session, _gateway_id(gateway_id))
    provider = gateway.provider
    try:
        given = _credentials(form, provider)
        fields: dict[str, Any] = {
            "name": str(form.get("name", "")).strip(),
            "base_url": str(form.get("base_url", "")).strip(),
            "monthly_limit": _paise(str(form.get("monthly_limit", ""))),
        }
        try:
            fields["priority"] = int(str(form.get("priority", "")).strip())
        except ValueError:
            raise ValidationFailed("priority must be a whole number.", field="priority") from None
        if any(v.strip() for v in given.values()):
            fields["credentials"] = gateway_service.credentials_with(gateway, given)
        try:
            body = GatewayUpdate(**fields)
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        await gateway_service.update(session, gateway.id, body, actor=operator.actor)
    except AppError as exc:
        await session.rollback()
        gateway = await gateway_service.get(session, gateway.id)
        return _form_page(
            request, operator, gateway=gateway, provider=provider, values=_plain(form), error=exc
        )
    return RedirectResponse(LIST, status_code=303)
