"""Outgoing merchant webhooks: events, signed deliveries, retries."""
