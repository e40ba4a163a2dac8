"""The synchronous client: `Client(key_id, key_secret)`, its resources, and the loop that sends a call with its
retries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import TracebackType
from typing import Callable, List, Optional, TypeVar, Union

import httpx

from lightspeedpay_sdk import _calls as calls
from lightspeedpay_sdk._calls import Day, Page, When
from lightspeedpay_sdk._core import Attempts, Call, Config, Done, Retry
from lightspeedpay_sdk.errors import APITimeoutError
from lightspeedpay_sdk.models import (
    JsonObject,
    Order,
    Payment,
    PaymentCreated,
    Refund,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
    WebhookRetryQueued,
    WebhookTestQueued,
)

T = TypeVar("T")
PAGE_SIZE = 100


class Client:
    """The LightSpeedPay API, synchronously.

    `key_id` and `key_secret` are your test (`lsp_test_…`) or live key; they default to LSP_KEY_ID and
    LSP_KEY_SECRET, and `base_url` to LSP_API. Each call is retried up to `max_retries` times (connection
    failures, 409 IDEMPOTENCY_KEY_IN_USE, 429 after Retry-After, 5xx) with the same Idempotency-Key. Pass
    `http_client` to use your own httpx.Client (proxies, transports, event hooks); you close it then."""

    def __init__(
        self,
        key_id: Optional[str] = None,
        key_secret: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        self._config = Config.make(
            key_id,
            key_secret,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        self.payments = Payments(self)
        self.orders = Orders(self)
        self.refunds = Refunds(self)
        self.wallet = Wallet(self)
        self.settlements = Settlements(self)
        self.webhooks = WebhookEndpoints(self)
        self.credentials = Credentials(self)
        self.usage = Usage(self)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def key_id(self) -> str:
        return self._config.key_id

    @property
    def mode(self) -> str:
        """`test` or `live`, from the key."""
        return self._config.mode

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, key_id={self.key_id!r}, mode={self.mode!r})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def send(self, call: Call[T]) -> T:
        """Send one call, retrying as its policy allows; its answer, or the error that ended it."""
        attempts = Attempts(self._config, call)
        while True:
            request = attempts.request()
            outcome: Union[Done[T], Retry]
            try:
                response = self._http.send(request)
            except httpx.TransportError as error:
                outcome = attempts.failed(error)
            else:
                outcome = attempts.answered(response)
            if isinstance(outcome, Done):
                return outcome.value
            time.sleep(outcome.delay)

    def paginate(self, page: Callable[[Optional[str]], Call[Page[T]]]) -> Iterator[T]:
        """Every item of a list, page after page as the iteration reaches them."""
        cursor: Optional[str] = None
        while True:
            current = self.send(page(cursor))
            yield from current.items
            if not current.next_cursor:
                return
            cursor = current.next_cursor


class _Resource:
    def __init__(self, client: Client) -> None:
        self._client = client


class Payments(_Resource):
    def pay(
        self,
        amount: int,
        order_id: str,
        *,
        currency: str = "INR",
        customer: Optional[JsonObject] = None,
        redirect_url: Optional[str] = None,
        notes: Optional[JsonObject] = None,
        idempotency_key: Optional[str] = None,
    ) -> PaymentCreated:
        """Start a payment of `amount` paise for your `order_id`. Its checkout page (`checkout_url`) comes a
        moment later: see `wait`. Give your own `idempotency_key` (kept with your order) to make a retry after a
        crash return this payment; one is made otherwise, the same for every retry of this call."""
        return self._client.send(
            calls.pay(
                amount,
                order_id,
                currency=currency,
                customer=customer,
                redirect_url=redirect_url,
                notes=notes,
                idempotency_key=idempotency_key,
            )
        )

    def get(self, transaction_id: str) -> Payment:
        """A payment by its transaction id or its payment id (pay_…)."""
        return self._client.send(calls.get_payment(transaction_id))

    def list(
        self,
        *,
        status: Optional[str] = None,
        created_from: When = None,
        created_to: When = None,
        amount_min: Optional[int] = None,
        amount_max: Optional[int] = None,
        q: Optional[str] = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[Payment]:
        """Your payments in the key's mode, newest first, fetched page by page as you iterate."""
        filters = calls.payment_filters(status, created_from, created_to, amount_min, amount_max, q)
        return self._client.paginate(lambda cursor: calls.list_payments(filters, page_size, cursor))

    def csv(
        self,
        *,
        status: Optional[str] = None,
        created_from: When = None,
        created_to: When = None,
        amount_min: Optional[int] = None,
        amount_max: Optional[int] = None,
        q: Optional[str] = None,
    ) -> str:
        """The same list as CSV text (times in IST)."""
        filters = calls.payment_filters(status, created_from, created_to, amount_min, amount_max, q)
        return self._client.send(calls.payments_csv(filters))

    def capture(
        self,
        transaction_id: str,
        *,
        amount: Optional[int] = None,
        currency: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Payment:
        """Capture an authorized payment for the amount authorized; the payment, now paid."""
        return self._client.send(
            calls.capture(transaction_id, amount=amount, currency=currency, idempotency_key=idempotency_key)
        )

    def wait(
        self, transaction_id: str, *statuses: str, timeout: float = 60.0, interval: float = 1.0
    ) -> Payment:
        """The payment once it is in one of `statuses` (say "pending", when its checkout_url is ready, or
        "paid"); APITimeoutError when it is not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            payment = self.get(transaction_id)
            if payment["status"] in statuses:
                return payment
            if time.monotonic() > deadline:
                raise APITimeoutError(
                    f"payment {transaction_id} is still {payment['status']} after {timeout} s", code="TIMEOUT"
                )
            time.sleep(interval)


class Refunds(_Resource):
    def create(
        self,
        transaction_id: str,
        *,
        amount: Optional[int] = None,
        speed: Optional[str] = None,
        notes: Optional[JsonObject] = None,
        receipt: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Refund:
        """Refund a paid payment (transaction id or pay_…), fully (no amount) or `amount` paise of it."""
        return self._client.send(
            calls.create_refund(
                transaction_id,
                amount=amount,
                speed=speed,
                notes=notes,
                receipt=receipt,
                idempotency_key=idempotency_key,
            )
        )

    def get(self, refund_id: str) -> Refund:
        return self._client.send(calls.get_refund(refund_id))

    def list(
        self,
        *,
        transaction_id: Optional[str] = None,
        status: Optional[str] = None,
        created_from: When = None,
        created_to: When = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[Refund]:
        """A payment's refunds (`transaction_id`), or all of yours (filtered by status and dates), newest first."""
        return self._client.paginate(
            lambda cursor: calls.list_refunds(
                transaction_id, status, created_from, created_to, page_size, cursor
            )
        )


class Orders(_Resource):
    """Orders of the Razorpay-compatible API (`/v1`, HTTP Basic with the same key)."""

    def create(
        self,
        amount: int,
        *,
        currency: str = "INR",
        receipt: Optional[str] = None,
        notes: Optional[JsonObject] = None,
        partial_payment: Optional[bool] = None,
        idempotency_key: Optional[str] = None,
    ) -> Order:
        return self._client.send(
            calls.create_order(
                amount,
                currency=currency,
                receipt=receipt,
                notes=notes,
                partial_payment=partial_payment,
                idempotency_key=idempotency_key,
            )
        )

    def get(self, order_id: str) -> Order:
        return self._client.send(calls.get_order(order_id))

    def list(self, *, receipt: Optional[str] = None, page_size: int = PAGE_SIZE) -> Iterator[Order]:
        return self._client.paginate(lambda skip: calls.list_orders(receipt, page_size, int(skip or 0)))

    def payments(self, order_id: str) -> List[JsonObject]:
        """The order's payments, as /v1 payment entities."""
        return self._client.send(calls.order_payments(order_id))


class Wallet(_Resource):
    def get(self) -> JsonObject:
        """Commission due (`balance_due`), the thresholds and the account's status."""
        return self._client.send(calls.wallet())

    def entries(self, *, type: Optional[str] = None, page_size: int = PAGE_SIZE) -> Iterator[JsonObject]:
        """The entries behind balance_due, newest first."""
        return self._client.paginate(lambda cursor: calls.wallet_entries(type, page_size, cursor))


class Settlements(_Resource):
    def list(self, *, status: Optional[str] = None, page_size: int = PAGE_SIZE) -> Iterator[JsonObject]:
        return self._client.paginate(lambda cursor: calls.list_settlements(status, page_size, cursor))

    def get(self, settlement_id: str) -> JsonObject:
        """One settlement with its totals per gateway and its line items."""
        return self._client.send(calls.get_settlement(settlement_id))

    def csv(self, settlement_id: str) -> str:
        """The settlement's line items as CSV text."""
        return self._client.send(calls.settlement_csv(settlement_id))


class WebhookEndpoints(_Resource):
    def list(self) -> List[WebhookEndpoint]:
        return self._client.send(calls.list_endpoints())

    def create(
        self,
        url: str,
        *,
        event_types: Optional[List[str]] = None,
        description: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> WebhookEndpointWithSecret:
        """A new endpoint; its `secret` (whsec_…) is in this answer only: store it."""
        return self._client.send(
            calls.create_endpoint(url, event_types=event_types, description=description, enabled=enabled)
        )

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        return self._client.send(calls.get_endpoint(endpoint_id))

    def update(
        self,
        endpoint_id: str,
        *,
        url: Optional[str] = None,
        event_types: Optional[List[str]] = None,
        description: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> WebhookEndpoint:
        return self._client.send(
            calls.update_endpoint(
                endpoint_id, url=url, event_types=event_types, description=description, enabled=enabled
            )
        )

    def delete(self, endpoint_id: str) -> None:
        self._client.send(calls.delete_endpoint(endpoint_id))

    def rotate(self, endpoint_id: str) -> WebhookEndpointWithSecret:
        """A new secret (in this answer only); for 24 hours deliveries carry both signatures."""
        return self._client.send(calls.rotate_endpoint(endpoint_id))

    def deliveries(
        self,
        endpoint_id: str,
        *,
        event_type: Optional[str] = None,
        status: Optional[str] = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[JsonObject]:
        """The endpoint's delivery log, newest first: one item per HTTP attempt."""
        return self._client.paginate(
            lambda cursor: calls.list_deliveries(endpoint_id, event_type, status, page_size, cursor)
        )

    def resend(self, endpoint_id: str, delivery_id: str) -> WebhookRetryQueued:
        """Send that delivery's event to the endpoint again, now."""
        return self._client.send(calls.resend_delivery(endpoint_id, delivery_id))

    def test(self, endpoint_id: Optional[str] = None) -> WebhookTestQueued:
        """A signed `ping` event to this endpoint (or to every enabled one)."""
        return self._client.send(calls.ping_endpoints(endpoint_id))


class Credentials(_Resource):
    def list(self) -> JsonObject:
        """Your test and live keys, secrets masked, and the KYC status."""
        return self._client.send(calls.credentials())


class Usage(_Resource):
    def get(self, *, from_date: Day = None, to_date: Day = None) -> JsonObject:
        """Your API requests per IST day by route and status, error rate and latency."""
        return self._client.send(calls.usage(from_date, to_date))
