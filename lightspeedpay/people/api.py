"""People over HTTP, outside the operator's API.

`/api/v1/auth/…`: what a person does before (or instead of) logging in — sign up, verify the address, reset a
password, accept an invitation. Public routes: each is proved by a one-time token from an email, or answers the
same whether or not the address has an account.

`/api/v1/merchant/team`: a merchant's team — list, invite, change a role, remove — and its team settings
(two-factor for everyone)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from lightspeedpay.auth.signature import read_body
from lightspeedpay.identity.deps import CurrentMerchant, merchant_guard, merchant_requires
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.people.accounts import account_service
from lightspeedpay.people.schemas import (
    TEAM_ERRORS,
    Accepted,
    EmailIn,
    InvitationAccept,
    InvitationAccepted,
    InvitationOut,
    MemberOut,
    MerchantInvitationCreate,
    MerchantRoleUpdate,
    PasswordChangedOut,
    PasswordResetConfirm,
    SignupIn,
    SignupOut,
    TeamOut,
    TeamSettingsOut,
    TeamSettingsUpdate,
    TokenIn,
    VerifiedOut,
    body_doc,
)
from lightspeedpay.people.service import invitation_out, team_service
from lightspeedpay.ratelimit.guards import limit_signup
from lightspeedpay.sessions import ReadSession, WriteSession

router = APIRouter(prefix="/api/v1/auth", tags=["auth: accounts"])

_TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_USED"}
}
_SENT = "If the address has an account, an email is on its way."


@router.post(
    "/signup",
    status_code=201,
    response_model=SignupOut,
    responses={422: {"description": "VALIDATION_ERROR, WEAK_PASSWORD"}},
    summary="Sign a business up: a merchant in KYC draft, its owner, and an email to verify the address",
    openapi_extra=body_doc(
        SignupIn,
        {
            "business_name": "Asha Textiles",
            "contact_name": "Asha Rao",
            "email": "asha@example.in",
            "password": "correct horse battery staple",
            "phone": "919876543210",
        },
    ),
)
async def signup(request: Request, session: WriteSession) -> SignupOut:
    body = parse_json(SignupIn, await read_body(request))
    await limit_signup(request, body.email)
    await account_service.signup(session, body)
    return SignupOut(
        email=body.email,
        message="Check your inbox: confirm your email address with the link we sent, then log in.",
    )


@router.post(
    "/verify-email",
    response_model=VerifiedOut,
    responses=_TOKEN_ERRORS,
    summary="Confirm an email address with the token from the verification email",
    openapi_extra=body_doc(TokenIn, {"token": "lspe_…"}),
)
async def verify_email(request: Request, session: WriteSession) -> VerifiedOut:
    body = parse_json(TokenIn, await read_body(request))
    return await account_service.verify_email(session, body.token)


@router.post(
    "/verify-email/resend",
    status_code=202,
    response_model=Accepted,
    summary="Send the verification email again (the same answer whether or not the address has an account)",
    openapi_extra=body_doc(EmailIn, {"email": "asha@example.in"}),
)
async def resend_verification(request: Request, session: WriteSession) -> Accepted:
    body = parse_json(EmailIn, await read_body(request))
    await limit_signup(request, body.email)  # each sends an email: the same budget as signups
    await account_service.resend_verification(session, body.email)
    return Accepted(message=_SENT)


@router.post(
    "/password-reset",
    status_code=202,
    response_model=Accepted,
    summary="Email a password-reset link (the same answer whether or not the address has an account)",
    openapi_extra=body_doc(EmailIn, {"email": "asha@example.in"}),
)
async def request_password_reset(request: Request, session: WriteSession) -> Accepted:
    body = parse_json(EmailIn, await read_body(request))
    await limit_signup(request, body.email)  # each sends an email: the same budget as signups
    await account_service.request_password_reset(session, body.email)
    return Accepted(message=_SENT)


@router.post(
    "/password-reset/confirm",
    response_model=PasswordChangedOut,
    responses={**_TOKEN_ERRORS, 422: {"description": "WEAK_PASSWORD"}},
    summary="Set a new password with the reset email's token; every session of the account is logged out",
    openapi_extra=body_doc(PasswordResetConfirm, {"token": "lspe_…", "password": "a new long passphrase"}),
)
async def confirm_password_reset(request: Request, session: WriteSession) -> PasswordChangedOut:
    body = parse_json(PasswordResetConfirm, await read_body(request))
    revoked = await account_service.reset_password(session, body.token, body.password)
    return PasswordChangedOut(sessions_revoked=revoked)


@router.post(
    "/invitations/accept",
    response_model=InvitationAccepted,
    responses={
        **_TOKEN_ERRORS,
        409: {"description": "ALREADY_MEMBER"},
        422: {"description": "PASSWORD_REQUIRED, WEAK_PASSWORD"},
    },
    summary="Accept an invitation: a new account (with a password), or an existing one joins the team",
    openapi_extra=body_doc(
        InvitationAccept, {"token": "lspe_…", "password": "a new long passphrase", "name": "Meera"}
    ),
)
async def accept_invitation(request: Request, session: WriteSession) -> InvitationAccepted:
    body = parse_json(InvitationAccept, await read_body(request))
    return await account_service.accept_invitation(session, body)


merchant_router = APIRouter(prefix="/api/v1/merchant/team", tags=["merchant: team"], responses=TEAM_ERRORS)


@merchant_router.get("", response_model=TeamOut, dependencies=[merchant_guard("team")], summary="Your team")
async def team(merchant: CurrentMerchant, session: ReadSession) -> TeamOut:
    return await team_service.team(session, merchant)


@merchant_router.post(
    "/invitations",
    status_code=201,
    response_model=InvitationOut,
    dependencies=[merchant_requires("team:write")],
    summary="Invite a teammate by email (an owner: only an owner may)",
    openapi_extra=body_doc(MerchantInvitationCreate, {"email": "meera@example.in", "role": "developer"}),
)
async def invite_member(request: Request, merchant: CurrentMerchant, session: WriteSession) -> InvitationOut:
    body = parse_json(MerchantInvitationCreate, request.state.raw_body)
    return invitation_out(
        await team_service.invite_member(session, merchant, email=body.email, role=body.role)
    )


@merchant_router.delete(
    "/invitations/{invitation_id}",
    status_code=204,
    dependencies=[merchant_requires("team:write")],
    summary="Revoke a pending invitation to your team (its link stops working)",
)
async def revoke_invitation(
    invitation_id: uuid.UUID, merchant: CurrentMerchant, session: WriteSession
) -> Response:
    await team_service.revoke_invitation(session, invitation_id, actor=merchant.actor, client_id=merchant.id)
    return Response(status_code=204)


# before /{user_id}: "settings" is not a user id
@merchant_router.patch(
    "/settings",
    response_model=TeamSettingsOut,
    dependencies=[merchant_guard("team")],
    summary="Require two-factor authentication of everyone in the team (needs a recent login)",
    openapi_extra=body_doc(TeamSettingsUpdate, {"require_2fa": True}),
)
async def update_team_settings(
    request: Request, merchant: CurrentMerchant, session: WriteSession
) -> TeamSettingsOut:
    body = parse_json(TeamSettingsUpdate, request.state.raw_body)
    return await team_service.update_settings(session, merchant, require_2fa=body.require_2fa)


@merchant_router.patch(
    "/{user_id}",
    response_model=MemberOut,
    dependencies=[merchant_guard("team")],
    summary="Change a teammate's role (needs a recent login; owners: only an owner)",
    openapi_extra=body_doc(MerchantRoleUpdate, {"role": "finance"}),
)
async def change_member_role(
    user_id: uuid.UUID, request: Request, merchant: CurrentMerchant, session: WriteSession
) -> MemberOut:
    body = parse_json(MerchantRoleUpdate, request.state.raw_body)
    return await team_service.change_member_role(session, merchant, user_id, body.role)


@merchant_router.delete(
    "/{user_id}",
    status_code=204,
    dependencies=[merchant_guard("team")],
    summary="Remove a teammate (needs a recent login; owners: only an owner)",
)
async def remove_member(user_id: uuid.UUID, merchant: CurrentMerchant, session: WriteSession) -> Response:
    await team_service.remove_member(session, merchant, user_id)
    return Response(status_code=204)
