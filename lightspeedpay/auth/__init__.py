"""Authentication: merchant request signatures (and, later, dashboard sessions and roles)."""
