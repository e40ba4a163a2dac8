"""Payment counts and amounts per time bucket (5 min, 1 h, 1 day in IST) and dimensions: what the analytics API
reads instead of scanning transactions. Rows are kept when their transactions are archived or deleted."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, sql_in

# a dimension a cut rolls away holds this value (a primary key column cannot be NULL)
ALL_IDS = uuid.UUID(int=0)
ALL = ""


class RollupGrain(StrEnum):
    FIVE_MINUTES = "5m"
    HOUR = "1h"  # an hour of IST (it starts at :30 UTC)
    DAY = "1d"  # a calendar day of IST


class RollupCut(StrEnum):
    """Which dimensions a row keeps. The narrower cuts exist so that a question reads few rows: a day of all
    merchants' payments is one `total` row, one `gateway` row per gateway, one `merchant` row per merchant, against
    hundreds of `full` ones. The 5-minute grain (ranges up to 7 days) keeps `full`, `gateway`, `method` and `total`."""

    FULL = "full"  # merchant, gateway, provider, method
    PLATFORM = "platform"  # gateway, provider, method (the merchant rolled away)
    MERCHANT = "merchant"  # the merchant only
    GATEWAY = "gateway"  # the gateway (and its provider) only
    METHOD = "method"  # the payment method only
    TOTAL = "total"  # nothing but the bucket and the currency


# the cuts each grain keeps (the fold writes them, the questions read them)
CUTS = {
    RollupGrain.FIVE_MINUTES: (RollupCut.FULL, RollupCut.GATEWAY, RollupCut.METHOD, RollupCut.TOTAL),
    RollupGrain.HOUR: tuple(RollupCut),
    RollupGrain.DAY: tuple(RollupCut),
}


def _count() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, server_default="0")


class AnalyticsRollup(Base):
    """Payments created in the bucket, by the status they are in now: a count and an amount per status (a row per
    status would multiply the rows; the statuses are few and fixed)."""

    __tablename__ = "analytics_rollups"
    __table_args__ = (
        CheckConstraint(f"grain IN {sql_in(RollupGrain)}", name="ck_analytics_rollups_grain"),
        CheckConstraint(f"cut IN {sql_in(RollupCut)}", name="ck_analytics_rollups_cut"),
        Index("ix_analytics_rollups_bucket", "grain", "cut", "bucket_at"),
    )

    grain: Mapped[str] = mapped_column(String(2), primary_key=True)
    cut: Mapped[str] = mapped_column(String(10), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    bucket_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    gateway_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    provider: Mapped[str] = mapped_column(String(50), primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)  # '' when the PSP did not say
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    # how many of the bucket's payments are in each status now (models.transaction.TransactionStatus) ...
    n_created: Mapped[int] = _count()
    n_pending: Mapped[int] = _count()
    n_authorized: Mapped[int] = _count()
    n_paid: Mapped[int] = _count()
    n_partially_refunded: Mapped[int] = _count()
    n_refunded: Mapped[int] = _count()
    n_failed: Mapped[int] = _count()
    n_expired: Mapped[int] = _count()
    # ... their amounts, paise ...
    amount_created: Mapped[int] = _count()
    amount_pending: Mapped[int] = _count()
    amount_authorized: Mapped[int] = _count()
    amount_paid: Mapped[int] = _count()
    amount_partially_refunded: Mapped[int] = _count()
    amount_refunded: Mapped[int] = _count()
    amount_failed: Mapped[int] = _count()
    amount_expired: Mapped[int] = _count()
    # ... and what was refunded of them so far
    refunded: Mapped[int] = _count()
