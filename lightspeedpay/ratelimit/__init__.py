"""Rate limits (issue 10): a moving window per key in Redis, with the `limits` library."""
