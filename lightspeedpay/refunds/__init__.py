"""Refunds of captured payments, and automatic refunds of authorizations never captured."""
