"""The commission ledger: wallets, entries, balance_due."""
