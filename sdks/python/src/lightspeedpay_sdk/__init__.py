"""The LightSpeedPay API from Python: `Client` and `AsyncClient` sign every request, retry safely with one
Idempotency-Key per call, raise typed errors, and `verify_webhook` checks the platform's webhook deliveries."""

from lightspeedpay_sdk._async import AsyncClient
from lightspeedpay_sdk._calls import Page
from lightspeedpay_sdk._core import RetryPolicy, sign
from lightspeedpay_sdk._sync import Client
from lightspeedpay_sdk._version import __version__
from lightspeedpay_sdk.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    LightSpeedPayError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    WebhookVerificationError,
)
from lightspeedpay_sdk.webhooks import WebhookVerifier, sign_webhook, verify_webhook

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "InvalidRequestError",
    "LightSpeedPayError",
    "NotFoundError",
    "Page",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "WebhookVerificationError",
    "WebhookVerifier",
    "__version__",
    "sign",
    "sign_webhook",
    "verify_webhook",
]
