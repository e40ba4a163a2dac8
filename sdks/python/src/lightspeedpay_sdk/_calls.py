"""Every API operation the SDK offers, as a `Call`: its route, query, body, authentication and how its answer
is read. The sync and async resources are thin wrappers that send these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Generic, List, Optional, TypeVar, Union, cast
from urllib.parse import quote

import httpx

from lightspeedpay_sdk._core import Call, QueryValue, json_body, new_idempotency_key
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
When = Union[datetime, str, None]
Day = Union[date, str, None]
NATIVE = "/api/v1"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; `next_cursor` is None on the last one."""

    items: List[T]
    next_cursor: Optional[str]


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def _when(value: When) -> Optional[str]:
    return value.isoformat() if isinstance(value, datetime) else value


def _day(value: Day) -> Optional[str]:
    return value.isoformat() if isinstance(value, date) else value


def _typed(kind: type[T]) -> Callable[[httpx.Response], T]:
    """The answer's JSON, as the typed dictionary `kind` (a TypedDict is a dict at run time)."""

    def parse(response: httpx.Response) -> T:
        return cast(T, response.json())

    return parse


def _page(kind: type[T]) -> Callable[[httpx.Response], Page[T]]:
    def parse(response: httpx.Response) -> Page[T]:
        answer = response.json()
        return Page(items=cast(List[T], answer["items"]), next_cursor=answer.get("next_cursor"))

    return parse


def _collection(kind: type[T], skip: int, count: int) -> Callable[[httpx.Response], Page[T]]:
    """A /v1 collection (count and skip): a full page may have a next one, at skip + count."""

    def parse(response: httpx.Response) -> Page[T]:
        items = cast(List[T], response.json()["items"])
        return Page(items=items, next_cursor=str(skip + count) if len(items) == count else None)

    return parse


def _text(response: httpx.Response) -> str:
    return response.text


def _nothing(response: httpx.Response) -> None:
    return None


def _body(**fields: Any) -> dict[str, Any]:
    """The JSON body: the fields given, without the ones left out (None)."""
    return {name: value for name, value in fields.items() if value is not None}


def _get(path: str, parse: Callable[[httpx.Response], T], **query: QueryValue) -> Call[T]:
    return Call("GET", path, parse, query=query, idempotent=True)


# ---- payments -------------------------------------------------------------------------------------------------


def pay(
    amount: int,
    order_id: str,
    *,
    currency: str,
    customer: Optional[JsonObject],
    redirect_url: Optional[str],
    notes: Optional[JsonObject],
    idempotency_key: Optional[str],
) -> Call[PaymentCreated]:
    body = _body(
        amount=amount,
        order_id=order_id,
        currency=currency,
        customer=customer,
        redirect_url=redirect_url,
        notes=notes,
    )
    return Call(
        "POST",
        f"{NATIVE}/pay",
        _typed(PaymentCreated),
        body=body,
        idempotent=True,
        idempotency_key=new_idempotency_key(idempotency_key),
    )


def get_payment(transaction_id: str) -> Call[Payment]:
    return _get(f"{NATIVE}/transactions/{_segment(transaction_id)}", _typed(Payment))


def payment_filters(
    status: Optional[str],
    created_from: When,
    created_to: When,
    amount_min: Optional[int],
    amount_max: Optional[int],
    q: Optional[str],
) -> dict[str, QueryValue]:
    return {
        "status": status,
        "from": _when(created_from),
        "to": _when(created_to),
        "amount_min": amount_min,
        "amount_max": amount_max,
        "q": q,
    }


def list_payments(filters: dict[str, QueryValue], limit: int, cursor: Optional[str]) -> Call[Page[Payment]]:
    return _get(f"{NATIVE}/transactions", _page(Payment), **filters, limit=limit, cursor=cursor)


def payments_csv(filters: dict[str, QueryValue]) -> Call[str]:
    return _get(f"{NATIVE}/transactions.csv", _text, **filters)


def capture(
    transaction_id: str, *, amount: Optional[int], currency: Optional[str], idempotency_key: Optional[str]
) -> Call[Payment]:
    return Call(
        "POST",
        f"{NATIVE}/transactions/{_segment(transaction_id)}/capture",
        _typed(Payment),
        body=_body(amount=amount, currency=currency),
        idempotent=True,
        idempotency_key=new_idempotency_key(idempotency_key),
    )


# ---- refunds --------------------------------------------------------------------------------------------------


def create_refund(
    transaction_id: str,
    *,
    amount: Optional[int],
    speed: Optional[str],
    notes: Optional[JsonObject],
    receipt: Optional[str],
    idempotency_key: Optional[str],
) -> Call[Refund]:
    return Call(
        "POST",
        f"{NATIVE}/transactions/{_segment(transaction_id)}/refunds",
        _typed(Refund),
        body=_body(amount=amount, speed=speed, notes=notes, receipt=receipt),
        idempotent=True,
        idempotency_key=new_idempotency_key(idempotency_key),
    )


def get_refund(refund_id: str) -> Call[Refund]:
    return _get(f"{NATIVE}/refunds/{_segment(refund_id)}", _typed(Refund))


def list_refunds(
    transaction_id: Optional[str],
    status: Optional[str],
    created_from: When,
    created_to: When,
    limit: int,
    cursor: Optional[str],
) -> Call[Page[Refund]]:
    if transaction_id is not None:
        path = f"{NATIVE}/transactions/{_segment(transaction_id)}/refunds"
        return _get(path, _page(Refund), limit=limit, cursor=cursor)
    return _get(
        f"{NATIVE}/refunds",
        _page(Refund),
        status=status,
        **{"from": _when(created_from), "to": _when(created_to)},
        limit=limit,
        cursor=cursor,
    )


# ---- orders (the Razorpay-compatible /v1, HTTP Basic) ---------------------------------------------------------


def create_order(
    amount: int,
    *,
    currency: str,
    receipt: Optional[str],
    notes: Optional[JsonObject],
    partial_payment: Optional[bool],
    idempotency_key: Optional[str],
) -> Call[Order]:
    return Call(
        "POST",
        "/v1/orders",
        _typed(Order),
        body=_body(
            amount=amount, currency=currency, receipt=receipt, notes=notes, partial_payment=partial_payment
        ),
        basic_auth=True,
        idempotent=True,
        idempotency_key=new_idempotency_key(idempotency_key),
    )


def get_order(order_id: str) -> Call[Order]:
    return Call("GET", f"/v1/orders/{_segment(order_id)}", _typed(Order), basic_auth=True, idempotent=True)


def list_orders(receipt: Optional[str], count: int, skip: int) -> Call[Page[Order]]:
    return Call(
        "GET",
        "/v1/orders",
        _collection(Order, skip, count),
        query={"receipt": receipt, "count": count, "skip": skip},
        basic_auth=True,
        idempotent=True,
    )


def _items(response: httpx.Response) -> List[JsonObject]:
    return cast(List[JsonObject], response.json()["items"])


def order_payments(order_id: str) -> Call[List[JsonObject]]:
    return Call("GET", f"/v1/orders/{_segment(order_id)}/payments", _items, basic_auth=True, idempotent=True)


# ---- wallet, settlements, credentials, usage ------------------------------------------------------------------


def wallet() -> Call[JsonObject]:
    return _get(f"{NATIVE}/wallet", json_body)


def wallet_entries(type: Optional[str], limit: int, cursor: Optional[str]) -> Call[Page[JsonObject]]:
    return _get(f"{NATIVE}/wallet/entries", _page(JsonObject), type=type, limit=limit, cursor=cursor)


def list_settlements(status: Optional[str], limit: int, cursor: Optional[str]) -> Call[Page[JsonObject]]:
    return _get(f"{NATIVE}/settlements", _page(JsonObject), status=status, limit=limit, cursor=cursor)


def get_settlement(settlement_id: str) -> Call[JsonObject]:
    return _get(f"{NATIVE}/settlements/{_segment(settlement_id)}", json_body)


def settlement_csv(settlement_id: str) -> Call[str]:
    return _get(f"{NATIVE}/settlements/{_segment(settlement_id)}.csv", _text)


def credentials() -> Call[JsonObject]:
    return _get(f"{NATIVE}/merchant/credentials", json_body)


def usage(from_date: Day, to_date: Day) -> Call[JsonObject]:
    return _get(f"{NATIVE}/merchant/usage", json_body, **{"from": _day(from_date), "to": _day(to_date)})


# ---- webhook endpoints ----------------------------------------------------------------------------------------

WEBHOOKS = f"{NATIVE}/merchant/webhooks"


def _endpoint(endpoint_id: str) -> str:
    return f"{WEBHOOKS}/{_segment(endpoint_id)}"


def _post(path: str, parse: Callable[[httpx.Response], T], body: Optional[JsonObject] = None) -> Call[T]:
    """A POST the platform does not deduplicate: resent only when it surely never arrived."""
    return Call("POST", path, parse, body=body, idempotency_key=new_idempotency_key())


def _endpoints(response: httpx.Response) -> List[WebhookEndpoint]:
    return cast(List[WebhookEndpoint], response.json()["items"])


def list_endpoints() -> Call[List[WebhookEndpoint]]:
    return _get(WEBHOOKS, _endpoints)


def create_endpoint(
    url: str, *, event_types: Optional[List[str]], description: Optional[str], enabled: Optional[bool]
) -> Call[WebhookEndpointWithSecret]:
    body = _body(url=url, event_types=event_types, description=description, enabled=enabled)
    return _post(WEBHOOKS, _typed(WebhookEndpointWithSecret), body)


def get_endpoint(endpoint_id: str) -> Call[WebhookEndpoint]:
    return _get(_endpoint(endpoint_id), _typed(WebhookEndpoint))


def update_endpoint(
    endpoint_id: str,
    *,
    url: Optional[str],
    event_types: Optional[List[str]],
    description: Optional[str],
    enabled: Optional[bool],
) -> Call[WebhookEndpoint]:
    body = _body(url=url, event_types=event_types, description=description, enabled=enabled)
    # a PATCH sets the fields it names: sending it twice leaves the same endpoint
    return Call("PATCH", _endpoint(endpoint_id), _typed(WebhookEndpoint), body=body, idempotent=True)


def delete_endpoint(endpoint_id: str) -> Call[None]:
    return Call("DELETE", _endpoint(endpoint_id), _nothing)


def rotate_endpoint(endpoint_id: str) -> Call[WebhookEndpointWithSecret]:
    return _post(f"{_endpoint(endpoint_id)}/rotate", _typed(WebhookEndpointWithSecret))


def list_deliveries(
    endpoint_id: str, event_type: Optional[str], status: Optional[str], limit: int, cursor: Optional[str]
) -> Call[Page[JsonObject]]:
    return _get(
        f"{_endpoint(endpoint_id)}/deliveries",
        _page(JsonObject),
        event_type=event_type,
        status=status,
        limit=limit,
        cursor=cursor,
    )


def resend_delivery(endpoint_id: str, delivery_id: str) -> Call[WebhookRetryQueued]:
    path = f"{_endpoint(endpoint_id)}/deliveries/{_segment(delivery_id)}/retry"
    return _post(path, _typed(WebhookRetryQueued))


def ping_endpoints(endpoint_id: Optional[str]) -> Call[WebhookTestQueued]:
    return _post(f"{WEBHOOKS}/test", _typed(WebhookTestQueued), _body(endpoint_id=endpoint_id))
