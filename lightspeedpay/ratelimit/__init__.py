"""Rate limits (issue 10): a moving window per key in Redis, one Lua script per hit."""
