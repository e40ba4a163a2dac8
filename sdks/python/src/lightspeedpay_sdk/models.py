"""What the API answers, as typed dictionaries (the JSON as it comes: times are ISO 8601 strings, money is an
int of paise). Answers the SDK does not describe field by field are `JsonObject`."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

JsonObject = Dict[str, Any]


class PaymentCreated(TypedDict):
    """The answer of `payments.pay`: the payment exists; its checkout page comes a moment later."""

    transaction_id: str
    payment_id: str
    status: str


class Payment(TypedDict):
    """A payment (a transaction) on the native API."""

    id: str
    payment_id: str
    order_id: str
    amount: int
    amount_refunded: int
    currency: str
    status: str
    checkout_url: Optional[str]
    gateway_txn_id: Optional[str]
    customer: Optional[Dict[str, Any]]
    notes: Optional[Dict[str, Any]]
    redirect_url: Optional[str]
    error_code: Optional[str]
    error_message: Optional[str]
    authorized_at: Optional[str]
    paid_at: Optional[str]
    created_at: str
    updated_at: str
    mode: str


class Refund(TypedDict):
    id: str
    transaction_id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    kind: str
    speed: str
    notes: Optional[Dict[str, Any]]
    receipt: Optional[str]
    gateway_refund_id: Optional[str]
    error_code: Optional[str]
    error_message: Optional[str]
    processed_at: Optional[str]
    created_at: str


class Order(TypedDict):
    """An order of the Razorpay-compatible API (`/v1/orders`)."""

    id: str
    entity: str
    amount: int
    amount_paid: int
    amount_due: int
    currency: str
    receipt: Optional[str]
    offer_id: Optional[str]
    status: str
    attempts: int
    notes: Any
    created_at: int


class WebhookEndpoint(TypedDict):
    id: str
    url: str
    description: Optional[str]
    event_types: List[str]
    enabled: bool
    disabled_reason: Optional[str]
    disabled_at: Optional[str]
    consecutive_failures: int
    is_default: bool
    secret_hint: str
    previous_secret_expires_at: Optional[str]
    created_at: str


class WebhookEndpointWithSecret(WebhookEndpoint):
    """An endpoint as created or rotated: `secret` (whsec_…) is shown this once."""

    secret: str


class WebhookTestQueued(TypedDict):
    event_id: str
    type: str
    endpoint_ids: List[str]
    status: str


class WebhookRetryQueued(TypedDict):
    delivery_id: str
    event_id: str
    endpoint_id: str
    attempt: int
    status: str


class WebhookEvent(TypedDict):
    """A verified delivery's body: `data` depends on `type` (see the developer docs' Webhooks page)."""

    id: str
    type: str
    timestamp: str
    livemode: bool
    data: Dict[str, Any]
