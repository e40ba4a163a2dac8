"""Incoming PSP webhooks: verify, store once, process."""
