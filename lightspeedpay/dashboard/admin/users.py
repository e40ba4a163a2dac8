"""Users and roles in the operator's console: operator staff with role, two-factor, last login and whether
disabled; invite, change a role, disable, remove, revoke an invitation — each through the people service the JSON
admin API (/api/v1/admin/users) calls, with its rules (only an owner makes an owner, never the last owner)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.permissions import OPERATOR_ROLES
from lightspeedpay.config import get_settings
from lightspeedpay.dashboard import i18n, web
from lightspeedpay.dashboard.forms import validated
from lightspeedpay.identity.deps import Operator, operator_requires
from lightspeedpay.people.schemas import OperatorInvitationCreate, OperatorRoleUpdate
from lightspeedpay.people.service import team_service
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[Operator, operator_requires("users:read")]
Writer = Annotated[Operator, operator_requires("users:write")]
ROLE_ORDER = ("owner", "admin", "operations", "finance", "support", "viewer")
assert set(ROLE_ORDER) == set(OPERATOR_ROLES)


async def _staff(session: AsyncSession) -> dict[str, object]:
    staff = await team_service.operators(session)
    return {
        "staff": staff,
        "last_logins": await team_service.last_logins(session, [u.id for u in staff.items]),
        "roles": ROLE_ORDER,
        "require_2fa": get_settings().operators_require_2fa,
    }


@router.get("/admin/users", summary="Users and roles")
async def users(request: Request, operator: Reader, session: ReadSession) -> HTMLResponse:
    return web.page(request, "admin/users.html", await _staff(session), operator=operator)


async def _answer(request: Request, session: AsyncSession, operator: Operator, notice: str) -> HTMLResponse:
    await session.flush()
    context = {**await _staff(session), "notice": notice}
    return web.fragment(request, "admin/_users_body.html", context, operator=operator)


@router.post("/admin/users/invitations", summary="Invite a person to operator staff")
async def invite(
    request: Request,
    operator: Writer,
    session: WriteSession,
    email: Annotated[str, Form(max_length=254)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    body = validated(OperatorInvitationCreate, {"email": email, "role": role})
    await team_service.invite_operator(session, operator, email=body.email, role=body.role)
    notice = i18n.gettext(_("Invitation sent to %(email)s.")) % {"email": body.email}
    return await _answer(request, session, operator, notice)


@router.post("/admin/users/{user_id}/role", summary="Change an operator's role")
async def change_role(
    request: Request,
    user_id: uuid.UUID,
    operator: Writer,
    session: WriteSession,
    role: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    body = validated(OperatorRoleUpdate, {"role": role})
    user = await team_service.change_operator_role(session, operator, user_id, body.role)
    notice = i18n.gettext(_("%(email)s is now %(role)s.")) % {
        "email": user.email,
        "role": web.role_label(body.role),
    }
    return await _answer(request, session, operator, notice)


@router.post("/admin/users/{user_id}/disable", summary="Disable a person of operator staff")
async def disable(
    request: Request, user_id: uuid.UUID, operator: Writer, session: WriteSession
) -> HTMLResponse:
    user = await team_service.disable_operator(session, operator, user_id)
    notice = i18n.gettext(_("%(email)s is disabled and logged out everywhere.")) % {"email": user.email}
    return await _answer(request, session, operator, notice)


@router.post("/admin/users/{user_id}/remove", summary="Remove a person from operator staff")
async def remove(
    request: Request, user_id: uuid.UUID, operator: Writer, session: WriteSession
) -> HTMLResponse:
    await team_service.remove_operator(session, operator, user_id)
    return await _answer(request, session, operator, i18n.gettext(_("Removed from operator staff.")))


@router.post(
    "/admin/users/invitations/{invitation_id}/revoke", summary="Revoke an invitation to operator staff"
)
async def revoke(
    request: Request, invitation_id: uuid.UUID, operator: Writer, session: WriteSession
) -> HTMLResponse:
    await team_service.revoke_invitation(session, invitation_id, actor=operator.actor, client_id=None)
    return await _answer(request, session, operator, i18n.gettext(_("The invitation is revoked.")))
