"""The merchant console's Team page: who is in the team with which role, the pending invitations; invite by email
and role, change a role and remove someone (both after a recent login), revoke an invitation, and whether the
team must use two-factor authentication. Through `team_service`, as `/api/v1/merchant/team` is: it keeps its rules
(only an owner makes or removes an owner, never the last owner) and audits each change."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.auth.permissions import MERCHANT_ROLES
from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import errors, forms, i18n, web
from lightspeedpay.dashboard.merchant import actions
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.errors import ValidationFailed
from lightspeedpay.people.schemas import MerchantInvitationCreate, MerchantRoleUpdate
from lightspeedpay.people.service import InvitationNotFound, UserNotFound, team_service
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter()
_ = web._lazy
Reader = Annotated[MerchantAuth, merchant_page("team:read")]
Writer = Annotated[MerchantAuth, merchant_page("team:write")]
ROLE_ORDER = ("owner", "admin", "developer", "finance", "support", "viewer")
assert set(ROLE_ORDER) == set(MERCHANT_ROLES)
# what each role may do, in a line (lightspeedpay/auth/permissions.py MERCHANT_ROLES)
ROLE_HELP = {
    "owner": _("Everything, including making and removing owners."),
    "admin": _("Everything except owners: keys, team, settings, refunds."),
    "developer": _("Payments, webhooks and API usage; no API keys and no team."),
    "finance": _("Payments, settlements, dues and payouts."),
    "support": _("Reads payments and refunds them, up to your support limit."),
    "viewer": _("Reads payments, settlements and settings; changes nothing."),
}
assert set(ROLE_HELP) == set(ROLE_ORDER)

errors.CODE_MESSAGES.setdefault("OWNER_REQUIRED", _("Only an owner can make, change or remove an owner."))
errors.CODE_MESSAGES.setdefault(
    "LAST_OWNER", _("This is the team's last owner. Make someone else an owner first.")
)
errors.CODE_MESSAGES.setdefault("ALREADY_MEMBER", _("This person is already in your team."))
errors.CODE_MESSAGES.setdefault(
    "TWO_FACTOR_NOT_ENABLED",
    _("Turn on two-factor authentication for yourself first, then require it of your team."),
)
NOTICES = {
    "invited": _("The invitation is sent."),
    "role": _("The role is changed."),
    "removed": _("They are removed from the team."),
    "revoked": _("The invitation is revoked: its link no longer works."),
    "2fa_on": _("Two-factor authentication is now required of everyone in the team."),
    "2fa_off": _("Two-factor authentication is no longer required."),
}


def team_path(mode: str) -> str:
    return f"{web.merchant_base(mode)}/team"


async def _team(session: AsyncSession, merchant: MerchantAuth) -> dict[str, Any]:
    team = await team_service.team(session, merchant)
    return {"team": team, "roles": ROLE_ORDER, "role_help": ROLE_HELP}


@router.get("/dashboard/{mode}/team", summary="Your team, its roles and invitations")
async def team(request: Request, merchant: Reader, session: ReadSession) -> HTMLResponse:
    context = await _team(session, merchant)
    context["notice"] = actions.done_notice(request, NOTICES)
    return web.page(request, "merchant/team.html", context, merchant=merchant)


async def _answer(request: Request, session: AsyncSession, merchant: MerchantAuth, done: str) -> Response:
    await session.flush()
    return actions.answer(
        request,
        merchant,
        page="merchant/team.html",
        body="merchant/_team_body.html",
        context=await _team(session, merchant),
        back_to=team_path(merchant.mode),
        done=done,
        notice=i18n.gettext(NOTICES[done]),
    )


def _user_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise UserNotFound("No member of this team has this id.", field="user_id") from None


@router.post("/dashboard/{mode}/team/invitations", summary="Invite a person to the team by email")
async def invite(request: Request, merchant: Writer, session: WriteSession) -> Response:
    body = forms.validated(
        MerchantInvitationCreate,
        {
            "email": (await actions.form_text(request, "email", max_length=254)).strip(),
            "role": await actions.form_text(request, "role", max_length=20),
        },
    )
    await team_service.invite_member(session, merchant, email=body.email, role=body.role)
    return await _answer(request, session, merchant, "invited")


@router.post("/dashboard/{mode}/team/{user_id}/role", summary="Change a teammate's role (a recent login)")
async def change_role(user_id: str, request: Request, merchant: Writer, session: WriteSession) -> Response:
    uid = _user_id(user_id)
    body = forms.validated(
        MerchantRoleUpdate, {"role": await actions.form_text(request, "role", max_length=20)}
    )

    async def act(m: MerchantAuth) -> Any:
        return await team_service.change_member_role(session, m, uid, body.role)

    done = await actions.recently(
        request,
        session,
        merchant,
        act,
        post_to=f"{team_path(merchant.mode)}/{uid}/role",
        target="#team-body",
        title=i18n.gettext(_("Changing a role needs a recent login.")),
    )
    if isinstance(done, Response):
        return done
    return await _answer(request, session, merchant, "role")


@router.post("/dashboard/{mode}/team/{user_id}/remove", summary="Remove a teammate (a recent login)")
async def remove(user_id: str, request: Request, merchant: Writer, session: WriteSession) -> Response:
    uid = _user_id(user_id)

    async def act(m: MerchantAuth) -> None:
        await team_service.remove_member(session, m, uid)

    done = await actions.recently(
        request,
        session,
        merchant,
        act,
        post_to=f"{team_path(merchant.mode)}/{uid}/remove",
        target="#team-body",
        title=i18n.gettext(_("Removing someone from the team needs a recent login.")),
    )
    if isinstance(done, Response):
        return done
    return await _answer(request, session, merchant, "removed")


@router.post(
    "/dashboard/{mode}/team/invitations/{invitation_id}/revoke", summary="Revoke a pending invitation"
)
async def revoke(invitation_id: str, request: Request, merchant: Writer, session: WriteSession) -> Response:
    try:
        iid = uuid.UUID(invitation_id)
    except ValueError:
        raise InvitationNotFound("No pending invitation has this id.", field="invitation_id") from None
    await team_service.revoke_invitation(session, iid, actor=merchant.actor, client_id=merchant.id)
    return await _answer(request, session, merchant, "revoked")


@router.post(
    "/dashboard/{mode}/team/settings",
    summary="Require two-factor authentication of everyone in the team, or not (a recent login)",
)
async def team_settings(request: Request, merchant: Writer, session: WriteSession) -> Response:
    raw = await actions.form_text(request, "require_2fa", max_length=10)
    if raw not in ("true", "false"):
        raise ValidationFailed("require_2fa must be true or false.", field="require_2fa")

    async def act(m: MerchantAuth) -> Any:
        return await team_service.update_settings(session, m, require_2fa=raw == "true")

    done = await actions.recently(
        request,
        session,
        merchant,
        act,
        post_to=f"{team_path(merchant.mode)}/settings",
        target="#team-body",
        title=i18n.gettext(_("Changing the team's two-factor rule needs a recent login.")),
    )
    if isinstance(done, Response):
        return done
    return await _answer(request, session, merchant, "2fa_on" if raw == "true" else "2fa_off")
