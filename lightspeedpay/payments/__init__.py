"""Payments: initiation, the transaction state machine, reads."""
