"""People and what they may do: users, roles and permissions, browser sessions, access and refresh tokens."""
