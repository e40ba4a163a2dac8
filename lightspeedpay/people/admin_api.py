"""Operator staff over HTTP (`/api/v1/admin/users`): list, invite, change a role, remove."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from lightspeedpay.auth.signature import read_body
from lightspeedpay.identity.deps import CurrentAdmin, operator_guard, operator_requires
from lightspeedpay.kit.parsing import parse_json
from lightspeedpay.people.schemas import (
    TEAM_ERRORS,
    InvitationOut,
    MerchantInvitationCreate,
    OperatorInvitationCreate,
    OperatorRoleUpdate,
    OperatorUserOut,
    OperatorUsersOut,
    body_doc,
)
from lightspeedpay.people.service import invitation_out, operator_out, team_service
from lightspeedpay.sessions import ReadSession, WriteSession

admin_router = APIRouter(prefix="/api/v1/admin/users", tags=["admin: users"], responses=TEAM_ERRORS)


@admin_router.get(
    "", response_model=OperatorUsersOut, dependencies=[operator_guard("users")], summary="Operator staff"
)
async def list_operators(session: ReadSession) -> OperatorUsersOut:
    return await team_service.operators(session)


@admin_router.post(
    "/invitations",
    status_code=201,
    response_model=InvitationOut,
    dependencies=[operator_requires("users:write")],
    summary="Invite a person to operator staff by email (an owner: only an owner may)",
    openapi_extra=body_doc(OperatorInvitationCreate, {"email": "ravi@example.in", "role": "support"}),
)
async def invite_operator(request: Request, operator: CurrentAdmin, session: WriteSession) -> InvitationOut:
    body = parse_json(OperatorInvitationCreate, await read_body(request))
    row = await team_service.invite_operator(session, operator, email=body.email, role=body.role)
    return invitation_out(row)


@admin_router.patch(
    "/{user_id}",
    response_model=OperatorUserOut,
    dependencies=[operator_guard("users")],
    summary="Change an operator's role (needs a recent login; owners: only an owner)",
    openapi_extra=body_doc(OperatorRoleUpdate, {"role": "finance"}),
)
async def change_operator_role(
    user_id: uuid.UUID, request: Request, operator: CurrentAdmin, session: WriteSession
) -> OperatorUserOut:
    body = parse_json(OperatorRoleUpdate, await read_body(request))
    return operator_out(await team_service.change_operator_role(session, operator, user_id, body.role))


@admin_router.delete(
    "/{user_id}",
    status_code=204,
    dependencies=[operator_guard("users")],
    summary="Remove a person from operator staff (needs a recent login; owners: only an owner)",
)
async def remove_operator(user_id: uuid.UUID, operator: CurrentAdmin, session: WriteSession) -> Response:
    await team_service.remove_operator(session, operator, user_id)
    return Response(status_code=204)


@admin_router.post(
    "/{user_id}/disable",
    response_model=OperatorUserOut,
    dependencies=[operator_requires("users:write")],
    responses={409: {"description": "LAST_OWNER, CANNOT_DISABLE_YOURSELF"}},
    summary="Disable a person of operator staff: no login anywhere, every session ended (needs a recent login; "
    "owners: only an owner)",
)
async def disable_operator(
    user_id: uuid.UUID, operator: CurrentAdmin, session: WriteSession
) -> OperatorUserOut:
    return operator_out(await team_service.disable_operator(session, operator, user_id))


@admin_router.delete(
    "/invitations/{invitation_id}",
    status_code=204,
    dependencies=[operator_requires("users:write")],
    summary="Revoke a pending invitation to operator staff (its link stops working)",
)
async def revoke_operator_invitation(
    invitation_id: uuid.UUID, operator: CurrentAdmin, session: WriteSession
) -> Response:
    await team_service.revoke_invitation(session, invitation_id, actor=operator.actor, client_id=None)
    return Response(status_code=204)


merchant_team_router = APIRouter(
    prefix="/api/v1/admin/merchants", tags=["admin: merchants"], responses=TEAM_ERRORS
)


@merchant_team_router.post(
    "/{merchant_id}/invitations",
    status_code=201,
    response_model=InvitationOut,
    dependencies=[operator_requires("merchants:write")],
    summary="Invite a person to a merchant's team (for a merchant the operator onboarded: its first owner)",
    openapi_extra=body_doc(MerchantInvitationCreate, {"email": "owner@shop.example.in", "role": "owner"}),
)
async def invite_to_merchant(
    merchant_id: uuid.UUID, request: Request, operator: CurrentAdmin, session: WriteSession
) -> InvitationOut:
    body = parse_json(MerchantInvitationCreate, await read_body(request))
    row = await team_service.invite_to_merchant(
        session, operator, merchant_id, email=body.email, role=body.role
    )
    return invitation_out(row)
