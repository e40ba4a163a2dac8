"""Requests and answers of signup, email verification, password reset, invitations and teams."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from lightspeedpay.auth.permissions import MERCHANT_ROLES, OPERATOR_ROLES


def _normal_email(value: str) -> str:
    return value.strip().lower()


EmailAddress = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$",
        examples=["asha@example.in"],
    ),
    AfterValidator(_normal_email),
]
OneTimeToken = Annotated[
    str, Field(min_length=10, max_length=200, description="the token from the email's link")
]
# the policy (length, not the email, not a known one) is checked by identity.passwords.check_policy
Password = Annotated[str, Field(max_length=1024)]
OperatorRole = Literal["owner", "admin", "operations", "finance", "support", "viewer"]
MerchantRole = Literal["owner", "admin", "developer", "finance", "support", "viewer"]
assert set(OperatorRole.__args__) == set(OPERATOR_ROLES)  # type: ignore[attr-defined]
assert set(MerchantRole.__args__) == set(MERCHANT_ROLES)  # type: ignore[attr-defined]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenIn(_In):
    token: OneTimeToken


class EmailIn(_In):
    email: EmailAddress


class PasswordResetConfirm(_In):
    token: OneTimeToken
    password: Password


class SignupIn(_In):
    business_name: Annotated[str, Field(min_length=2, max_length=200)]
    contact_name: Annotated[str, Field(min_length=1, max_length=120)]
    email: EmailAddress
    password: Password
    phone: (
        Annotated[str, Field(pattern=r"^\+?[1-9][0-9]{7,14}$", description="E.164 without spaces")] | None
    ) = None


class OperatorInvitationCreate(_In):
    email: EmailAddress
    role: OperatorRole


class MerchantInvitationCreate(_In):
    email: EmailAddress
    role: MerchantRole


class InvitationAccept(_In):
    token: OneTimeToken
    password: Password | None = Field(None, description="required when the address has no account yet")
    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None


class OperatorRoleUpdate(_In):
    role: OperatorRole


class MerchantRoleUpdate(_In):
    role: MerchantRole


class TeamSettingsUpdate(_In):
    require_2fa: StrictBool


# ---- answers ---------------------------------------------------------------------------------------------------


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    message: str


class SignupOut(BaseModel):
    status: Literal["verification_sent"] = "verification_sent"
    email: str
    message: str


class VerifiedOut(BaseModel):
    email: str
    verified_at: datetime
    # the merchant the person signed up (they own it); null for a person who only belongs to other teams
    merchant_id: uuid.UUID | None
    next: str


class PasswordChangedOut(BaseModel):
    status: Literal["password_changed"] = "password_changed"
    sessions_revoked: int


class InvitationOut(BaseModel):
    id: uuid.UUID
    email: str
    role: str
    merchant_id: uuid.UUID | None
    invited_by: str | None
    created_at: datetime
    expires_at: datetime


class InvitationAccepted(BaseModel):
    user_id: uuid.UUID
    email: str
    account: Literal["created", "existing"]
    role: str
    merchant_id: uuid.UUID | None  # null: the invitation was to operator staff
    message: str


class OperatorUserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str | None
    role: str
    email_verified: bool
    two_factor: bool
    disabled: bool
    created_at: datetime


class OperatorUsersOut(BaseModel):
    items: list[OperatorUserOut]
    invitations: list[InvitationOut]


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str | None
    role: str
    email_verified: bool
    two_factor: bool
    joined_at: datetime


class TeamOut(BaseModel):
    items: list[MemberOut]
    invitations: list[InvitationOut]
    require_2fa: bool


class TeamSettingsOut(BaseModel):
    require_2fa: bool


def body_doc(model: type[BaseModel], example: dict[str, Any]) -> dict[str, Any]:
    """The request body's schema and example in the OpenAPI document (the body is parsed from the raw bytes)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema(), "example": example}},
        }
    }


# the refusals of the team routes (operator staff and merchants' teams), for the OpenAPI document
TEAM_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "FORBIDDEN, OWNER_REQUIRED (only an owner makes or unmakes an owner), "
        "REAUTHENTICATION_REQUIRED (log in again for role changes)"
    },
    404: {"description": "USER_NOT_FOUND, INVITATION_NOT_FOUND, MERCHANT_NOT_FOUND"},
    409: {"description": "LAST_OWNER (the change would leave no owner), ALREADY_MEMBER"},
    422: {"description": "VALIDATION_ERROR"},
}
