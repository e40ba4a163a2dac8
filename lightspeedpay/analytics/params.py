"""The query string both analytics routes take (the operator's adds merchant_id). Values are checked by the
service, so that every mistake is a 400 that names its parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query


@dataclass(frozen=True)
class AnalyticsParams:
    start: str | None
    end: str | None
    span: str | None
    bucket: str | None
    group_by: str | None
    currency: str | None
    gateway_id: str | None
    provider: str | None
    method: str | None
    limit: int


def analytics_params(
    start: Annotated[
        str | None,
        Query(
            alias="from",
            description="ISO 8601 date (an IST day) or date-time (IST without an offset); default `to` - `range`",
        ),
    ] = None,
    end: Annotated[
        str | None,
        Query(alias="to", description="exclusive; a date means the end of that IST day; default now"),
    ] = None,
    span: Annotated[
        str | None,
        Query(alias="range", description="instead of `from`: 30m, 24h, 7d ... 180d (default 7d)"),
    ] = None,
    bucket: Annotated[
        str | None,
        Query(
            description="5m (ranges up to 7 days), 1h (up to 90 days) or 1d (IST days); default by the range"
        ),
    ] = None,
    group_by: Annotated[
        str | None, Query(description="gateway, provider, merchant (operator), method, status")
    ] = None,
    currency: Annotated[str | None, Query(description="default INR")] = None,
    gateway_id: Annotated[str | None, Query()] = None,
    provider: Annotated[str | None, Query(description="sandbox, razorpay, payu, phonepe")] = None,
    method: Annotated[
        str | None,
        Query(
            description="upi, card, netbanking, wallet, emi, paylater, other, unknown (the PSP did not say)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="groups listed (largest first)")] = 10,
) -> AnalyticsParams:
    return AnalyticsParams(start, end, span, bucket, group_by, currency, gateway_id, provider, method, limit)


Params = Annotated[AnalyticsParams, Depends(analytics_params)]
