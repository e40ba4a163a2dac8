"""Request and response bodies of the wallet API (merchants) and the merchant settings API (operators)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

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


class IpAllowlistUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cidrs: list[str] = Field(max_length=50, description="IP addresses or CIDR networks; empty: anywhere")
