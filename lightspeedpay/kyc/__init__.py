"""Onboarding and KYC: merchants apply, operators review, the settlement account is verified by penny drop."""
