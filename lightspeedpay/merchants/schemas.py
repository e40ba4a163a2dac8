"""Request and response bodies of the wallet API (merchants) and the merchant settings API (operators)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from lightspeedpay.kit.origins import normalized_origin

Threshold = Annotated[StrictInt, Field(gt=0, le=10**15, description="paise")]
WhatsAppPhone = Annotated[
    str,
    Field(
        pattern=r"^\+?[1-9][0-9]{7,14}$",
        examples=["919876543210"],
        description="E.164 without spaces: country code and number",
    ),
]

CheckoutOrigin = Annotated[
    str,
    Field(max_length=200, examples=["https://shop.example.in"]),
    AfterValidator(normalized_origin),
]


def _unique(origins: list[str]) -> list[str]:
    return list(dict.fromkeys(origins))  # the first of each, in the order given


_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def e164(value: str) -> str:
    """A phone number in E.164 (`+` country code and number, at most 15 digits): `+91 98765-43210` →
    `+919876543210`. Digits without the `+` are taken as E.164 when they are long enough to hold a country code
    (11 or more); a bare 10-digit Indian number is refused rather than guessed."""
    text = _PHONE_SEPARATORS.sub("", value.strip())
    digits = text.removeprefix("+")
    if not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
        raise ValueError(
            "must be a phone number in E.164 form: + country code and number, e.g. +919876543210"
        )
    if not 8 <= len(digits) <= 15 or (not text.startswith("+") and len(digits) < 11):
        raise ValueError("must have its country code and at most 15 digits, e.g. +919876543210")
    return "+" + digits


def _support_phone(value: str) -> str:
    """A support line as customers dial it (`+91 80 4567 8900`, `1800-123-4567`): 6 to 15 digits."""
    text = " ".join(value.split())
    digits = re.sub(r"[\s\-()+]", "", text)
    if not re.fullmatch(r"\+?[0-9][0-9 \-()]*[0-9]", text) or not 6 <= len(digits) <= 15 or len(text) > 20:
        raise ValueError(
            "must be a phone number of 6 to 15 digits (spaces, - and ( ) allowed), e.g. 1800-123-4567"
        )
    return text


def _website(value: str) -> str:
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise ValueError("must be an http:// or https:// address, e.g. https://shop.example.in")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    return text


class WalletOut(BaseModel):
    merchant_id: uuid.UUID
    currency: str = "INR"
    balance_due: int = Field(description="commission owed, in paise (the sum of the wallet's entries)")
    warn_threshold: int = Field(description="past this a WhatsApp notice is sent (at most one per 24 h)")
    suspend_threshold: int = Field(description="at this, new payments are refused until dues are paid")
    status: str = Field(description="active, suspended or disabled")
    suspension_reason: str | None
    fee_percent: Decimal
    settle_dues_from_settlement: bool
    last_notice_at: datetime | None = Field(description="when the last dues notice was queued (wa_last_sent)")


class WalletEntryOut(BaseModel):
    id: uuid.UUID
    type: str
    amount: int = Field(description="the change to balance_due, in paise")
    posting_id: uuid.UUID
    transaction_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    settlement_id: uuid.UUID | None
    reference: str | None
    reason: str | None
    created_at: datetime


class WalletEntryList(BaseModel):
    items: list[WalletEntryOut]
    next_cursor: str | None


class MerchantSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    whatsapp_phone: WhatsAppPhone | None = None
    whatsapp_txn_updates: StrictBool | None = None
    settle_dues_from_settlement: StrictBool | None = None
    warn_threshold: Threshold | None = None
    suspend_threshold: Threshold | None = None
    fee_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] | None = None
    # null: back to LSP_RATE_LIMIT_PER_MINUTE
    rate_limit_per_minute: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = Field(
        default=None, description="API requests per minute per credential; null: the platform default"
    )
    checkout_origins: (
        Annotated[list[CheckoutOrigin], Field(max_length=20), AfterValidator(_unique)] | None
    ) = Field(
        default=None,
        description="origins (scheme://host[:port]) that may frame the hosted checkout and call it from a browser",
    )


class MerchantOut(BaseModel):
    id: uuid.UUID
    company_name: str
    status: str
    suspension_reason: str | None
    fee_percent: Decimal
    balance_due: int
    warn_threshold: int
    suspend_threshold: int
    whatsapp_phone: str | None
    whatsapp_txn_updates: bool
    settle_dues_from_settlement: bool
    rate_limit_per_minute: int | None = Field(
        description="null: the platform default (LSP_RATE_LIMIT_PER_MINUTE)"
    )
    checkout_origins: list[str]
    created_at: datetime


class SecretOut(BaseModel):
    masked: str = Field(description="the secret's last 4 characters, the rest hidden (…a1b2)")
    created_at: datetime
    expires_at: datetime | None = Field(
        description="when it stops working (a regeneration's grace period); null: current"
    )
    current: bool
    revealed_at: datetime | None = Field(
        description="when it was shown in full to a person of your team (a reveal, or its regeneration)"
    )
    revealable: bool = Field(
        description="whether POST /api/v1/merchant/credentials/{mode}/reveal can still show it (the current "
        "secret, not shown yet)"
    )


class CredentialOut(BaseModel):
    mode: str = Field(
        description="test (sandbox gateways, test data) or live (real money, after KYC activation)"
    )
    key_id: str
    secrets: list[SecretOut] = Field(description="the secrets that work now, the current one first")
    ip_allowlist: list[str] = Field(description="CIDRs requests with this key may come from; empty: anywhere")
    usable: bool = Field(description="whether requests with this key are accepted now (live: KYC activated)")
    created_at: datetime


class CredentialList(BaseModel):
    kyc_status: str
    items: list[CredentialOut]


class RegenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["test", "live"]
    grace_period_seconds: Annotated[StrictInt, Field(ge=0, le=86_400)] = Field(
        default=0, description="how long the replaced secret keeps working (0: refused at once; at most 24 h)"
    )


class RegeneratedOut(BaseModel):
    mode: str
    key_id: str
    key_secret: str = Field(description="the new secret: shown this once, store it now")
    created_at: datetime
    previous_secret_expires_at: datetime | None


class RevealedOut(BaseModel):
    mode: str
    key_id: str
    key_secret: str = Field(description="the current secret: shown this once, store it now")
    created_at: datetime
    revealed_at: datetime


class IpAllowlistUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cidrs: list[str] = Field(max_length=50, description="IP addresses or CIDR networks; empty: anywhere")


class AccountSettingsUpdate(BaseModel):
    """What a merchant's owner or admin changes of its own account (PATCH /api/v1/merchant/settings): the fields
    sent change, the rest stay; null clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    company_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None
    ) = Field(default=None, description="the business name payers see on the checkout")
    website: Annotated[str, Field(max_length=500), AfterValidator(_website)] | None = None
    support_email: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        ]
        | None
    ) = None
    support_phone: Annotated[str, Field(max_length=40), AfterValidator(_support_phone)] | None = None
    whatsapp_phone: Annotated[str, Field(max_length=40), AfterValidator(e164)] | None = Field(
        default=None,
        examples=["+919876543210"],
        description="where WhatsApp notices go, in E.164 (+ country code and number); null: none",
    )
    whatsapp_txn_updates: StrictBool | None = Field(
        default=None, description="a WhatsApp message when a payment is paid (and at its other outcomes)"
    )
    whatsapp_dues_reminders: StrictBool | None = Field(
        default=None,
        description="WhatsApp reminders when commission due passes the warning threshold; the account is "
        "suspended at its limit whatever this says",
    )
    checkout_origins: (
        Annotated[list[CheckoutOrigin], Field(max_length=20), AfterValidator(_unique)] | None
    ) = Field(
        default=None,
        description="origins (scheme://host[:port]) that may frame the hosted checkout and call it from a browser",
    )


class AccountSettingsOut(BaseModel):
    merchant_id: uuid.UUID
    company_name: str
    website: str | None
    support_email: str | None
    support_phone: str | None
    whatsapp_phone: str | None
    whatsapp_txn_updates: bool
    whatsapp_dues_reminders: bool
    checkout_origins: list[str]
    updated_at: datetime
