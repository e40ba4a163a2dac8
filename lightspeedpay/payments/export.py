"""Payments as CSV, streamed a keyset batch at a time (`payment_service.export`): the operator's export across
merchants (the console's /admin/payments.csv) and a merchant's own (GET /api/v1/transactions.csv, its console),
from the same batches and the same cells, each with its own columns."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from lightspeedpay.monitoring.audit import csv_cell
from lightspeedpay.payments.service import PaymentRow

# the operator's: every merchant, with the gateway that carried each payment
OPERATOR_COLUMNS = (
    "payment_id",
    "transaction_id",
    "created_at",
    "merchant",
    "merchant_id",
    "order_id",
    "amount_inr",
    "amount_refunded_inr",
    "currency",
    "status",
    "mode",
    "method",
    "gateway",
    "provider",
    "gateway_txn_id",
    "customer_email",
    "customer_phone",
    "error_code",
    "paid_at",
)

# a merchant's own: its payments in one mode, amounts in paise (as its API speaks) and in rupees; nothing of the
# platform's gateway pool
MERCHANT_COLUMNS = (
    "payment_id",
    "transaction_id",
    "created_at",
    "order_id",
    "amount_paise",
    "amount_inr",
    "amount_refunded_paise",
    "amount_refunded_inr",
    "currency",
    "status",
    "mode",
    "method",
    "gateway_txn_id",
    "customer_email",
    "customer_phone",
    "error_code",
    "error_message",
    "authorized_at",
    "paid_at",
)


def _rupees(paise: int | None) -> str:
    return "" if paise is None else f"{Decimal(paise) / 100:.2f}"


def _iso(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat()


Cell = Callable[[PaymentRow, ZoneInfo], str]


def _customer(row: PaymentRow, name: str) -> str:
    return str((row.txn.customer or {}).get(name) or "")


# every column either export may carry; text a payer or a merchant typed passes through csv_cell, so a
# spreadsheet does not run it as a formula
CELLS: dict[str, Cell] = {
    "payment_id": lambda r, z: r.txn.payment_id,
    "transaction_id": lambda r, z: str(r.txn.id),
    "created_at": lambda r, z: _iso(r.txn.created_at, z),
    "merchant": lambda r, z: csv_cell(r.merchant),
    "merchant_id": lambda r, z: str(r.txn.client_id),
    "order_id": lambda r, z: csv_cell(r.txn.order_id),
    "amount_paise": lambda r, z: str(r.txn.amount),
    "amount_inr": lambda r, z: _rupees(r.txn.amount),
    "amount_refunded_paise": lambda r, z: str(r.txn.amount_refunded or 0),
    "amount_refunded_inr": lambda r, z: _rupees(r.txn.amount_refunded or 0),
    "currency": lambda r, z: r.txn.currency,
    "status": lambda r, z: r.txn.status,
    "mode": lambda r, z: r.txn.mode,
    "method": lambda r, z: r.txn.method or "",
    "gateway": lambda r, z: r.gateway,
    "provider": lambda r, z: r.provider,
    "gateway_txn_id": lambda r, z: csv_cell(r.txn.gateway_txn_id),
    "customer_email": lambda r, z: csv_cell(_customer(r, "email")),
    "customer_phone": lambda r, z: _customer(r, "phone"),  # digits and a leading +, as validated
    "error_code": lambda r, z: csv_cell(r.txn.error_code),
    "error_message": lambda r, z: csv_cell(r.txn.error_message),
    "authorized_at": lambda r, z: _iso(r.txn.authorized_at, z),
    "paid_at": lambda r, z: _iso(r.txn.paid_at, z),
}


def csv_line(row: PaymentRow, zone: ZoneInfo, columns: Sequence[str] = OPERATOR_COLUMNS) -> list[str]:
    return [CELLS[name](row, zone) for name in columns]


async def csv_stream(
    batches: AsyncIterator[Sequence[PaymentRow]], zone: ZoneInfo, columns: Sequence[str] = OPERATOR_COLUMNS
) -> AsyncIterator[str]:
    """The header, then one chunk per batch: memory holds one batch whatever the export's size. Times in
    `zone` (ISO 8601 with its offset)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield buffer.getvalue()
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_line(row, zone, columns) for row in batch)
        yield buffer.getvalue()
