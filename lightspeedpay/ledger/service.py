"""Commission on paid transactions: one entry per transaction, balance_due moved in the same DB transaction."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.kit.money import commission
from lightspeedpay.models import Client, Transaction, Wallet, WalletEntry


class LedgerService:
    async def record_commission(self, session: AsyncSession, client: Client, txn: Transaction) -> int | None:
        """Returns the commission in paise, or None when this transaction's commission was already recorded."""
        amount = commission(txn.amount, client.fee_percent)
        if amount <= 0:
            return 0
        wallet_id = (await session.execute(
            update(Wallet).where(Wallet.client_id == client.id).values(updated_at=Wallet.updated_at)
            .returning(Wallet.id)
        )).scalar_one()
        inserted = (await session.execute(
            insert(WalletEntry)
            .values(wallet_id=wallet_id, transaction_id=txn.id, amount=amount, type="COMMISSION",
                    reference=f"commission:{txn.id}")
            .on_conflict_do_nothing(constraint="uq_wallet_entries_type_transaction")
            .returning(WalletEntry.id)
        )).scalar_one_or_none()
        if inserted is None:
            return None
        await session.execute(update(Wallet).where(Wallet.id == wallet_id)
                              .values(balance_due=Wallet.balance_due + amount))
        return amount


ledger_service = LedgerService()
