"""Idempotency keys (Stripe's semantics) for every POST of both API faces: `service` runs a request under its key."""
