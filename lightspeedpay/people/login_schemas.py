"""What the login API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lightspeedpay.identity.passwords import MAX_LENGTH

_OTP = Field(default=None, max_length=12, description="the 6-digit code of the authenticator app")
_RECOVERY = Field(default=None, max_length=40, description="one of the recovery codes shown at 2FA setup")


class LoginIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "owner@example.com", "password": "correct horse battery", "mode": "token"}]
        },
    )

    email: str = Field(min_length=3, max_length=254)
    # the cap is checked here, for every caller alike: an unknown account and a known one answer the same
    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    totp_code: str | None = _OTP
    recovery_code: str | None = _RECOVERY
    mode: Literal["session", "token"] = Field(
        default="token",
        description="token: an access token and a refresh token (API clients); session: a browser session cookie",
    )


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str | None
    operator_role: str | None
    email_verified: bool
    two_factor_enabled: bool
    locale: str = Field(description="the consoles' language: en or hi")
    time_zone: str = Field(description="an IANA zone; the consoles show times in it")


class SessionLogin(BaseModel):
    csrf_token: str = Field(description="send it as X-CSRF-Token with every unsafe request made by cookie")
    user: UserOut


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class AccessToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class ReauthenticateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    totp_code: str | None = _OTP


class Reauthenticated(BaseModel):
    authenticated_at: datetime
    # for token callers: an access token whose auth_time is now (a session's cookie simply counts as fresh)
    access_token: str | None = None
    expires_in: int | None = None


class MembershipOut(BaseModel):
    merchant_id: uuid.UUID
    company_name: str
    role: str
    permissions: list[str]
    require_2fa: bool


class TwoFactorState(BaseModel):
    enabled: bool
    required: bool
    recovery_codes_left: int


class MeOut(BaseModel):
    user: UserOut
    operator_role: str | None
    operator_permissions: list[str]
    memberships: list[MembershipOut]
    two_factor: TwoFactorState
    via: Literal["session", "token"]
    authenticated_at: datetime
    csrf_token: str | None = None


class TotpSetup(BaseModel):
    secret: str = Field(
        description="base32; type it into the authenticator app, or scan the URI as a QR code"
    )
    provisioning_uri: str


class TotpCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=6, max_length=12)


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="shown this once; each works once in place of a code")


class LoginSessionOut(BaseModel):
    id: uuid.UUID
    kind: Literal["session", "token"]
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


class LoginSessionList(BaseModel):
    items: list[LoginSessionOut]


class LoggedOut(BaseModel):
    sessions_revoked: int
    refresh_tokens_revoked: int


class PreferencesIn(BaseModel):
    """A person's own console settings; each is optional (only what is sent changes)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"locale": "hi"}]})

    locale: Literal["en", "hi"] | None = None
    time_zone: str | None = Field(default=None, min_length=1, max_length=40, examples=["Asia/Kolkata"])
