"""Merchants ("clients"): onboarding, credentials and settings."""
