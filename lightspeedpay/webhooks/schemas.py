"""Request and response bodies of the merchant webhook API (`/api/v1/merchant/webhooks`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

# Standard Webhooks: event types are dot-separated words of [a-zA-Z0-9_]
EventType = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")]
MAX_URL_LENGTH = 500
# the event types the platform sends (README, "Webhooks to merchants"); an endpoint subscribes to some or all
EVENT_TYPES = (
    "payment.authorized",
    "payment.paid",
    "payment.failed",
    "payment.expired",
    "order.paid",
    "refund.created",
    "refund.processed",
    "refund.failed",
    "settlement.created",
    "settlement.completed",
    "merchant.suspended",
    "merchant.resumed",
)


def _check_url(value: str) -> str:
    value = value.strip()
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        raise ValueError("must be an absolute http:// or https:// URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an absolute http:// or https:// URL")
    if url.userinfo:
        raise ValueError("must not carry a user name or password; verify the webhook signature instead")
    if url.fragment:
        raise ValueError("must not have a #fragment")
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    return value


def _dedupe(types: list[str]) -> list[str]:
    return list(dict.fromkeys(types))


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Where events are POSTed; http(s), no redirects are followed.")
    event_types: list[EventType] = Field(
        default_factory=list, max_length=50, description="Event types to receive; empty receives every type."
    )
    description: Annotated[str, Field(max_length=200)] | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        return _dedupe(value)


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    event_types: list[EventType] | None = Field(default=None, max_length=50)
    description: Annotated[str, Field(max_length=200)] | None = None
    enabled: bool | None = Field(
        default=None,
        description="false stops deliveries (pending ones end failed); true re-enables a disabled endpoint.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _dedupe(value)


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    consecutive_failures: int
    is_default: bool = Field(description="The endpoint behind the merchant's webhook_url.")
    secret_hint: str = Field(description="Enough of the signing secret to recognise it; never the secret.")
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation, deliveries are also signed with the previous secret until then."
    )
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="The whsec_… signing secret. Shown once: store it now.")


class SigningSecretOut(BaseModel):
    secret: str = Field(description="The whsec_… signing secret, in full.")
    secret_hint: str
    current: bool = Field(description="false: the previous secret, still signing during a rotation's grace")
    expires_at: datetime | None = Field(
        description="When it stops signing deliveries; null: the current one."
    )


class EndpointSecrets(BaseModel):
    endpoint_id: uuid.UUID
    secrets: list[SigningSecretOut] = Field(
        description="The secrets deliveries are signed with now: the current one first, then the previous one "
        "while a rotation's grace period lasts."
    )


class EndpointList(BaseModel):
    items: list[EndpointOut]


class TestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint_id: uuid.UUID | None = Field(default=None, description="Omit to ping every enabled endpoint.")


class TestQueued(BaseModel):
    event_id: uuid.UUID
    type: Literal["ping"] = "ping"
    endpoint_ids: list[uuid.UUID]
    status: Literal["queued"] = "queued"


class RetryQueued(BaseModel):
    delivery_id: uuid.UUID = Field(description="The attempt the retry was asked from.")
    event_id: uuid.UUID
    endpoint_id: uuid.UUID
    attempt: int = Field(description="The number the retry's attempt will have.")
    status: Literal["queued"] = "queued"


class DeliveryRequest(BaseModel):
    url: str
    headers: dict[str, Any] | None
    body: str | None


class DeliveryResponse(BaseModel):
    status_code: int | None
    body_excerpt: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    attempt: int
    trigger: str = Field(description="scheduled, manual (a retry you asked for) or test (a ping)")
    status: str = Field(description="succeeded or failed: this attempt's outcome")
    delivery_status: str | None = Field(
        description="The event's delivery to this endpoint now: pending, delivered or failed"
    )
    request: DeliveryRequest
    response: DeliveryResponse
    latency_ms: int
    error: str | None
    retry_at: datetime | None = Field(description="When this attempt failed and another was scheduled: when")
    created_at: datetime


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None
