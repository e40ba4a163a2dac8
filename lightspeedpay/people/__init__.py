"""People and teams: self-service signup, email verification, password reset, invitations, operator staff and
merchants' teams (issue 10). Above identity (who is asking), merchants (a signup makes one), mail and the audit
log; nothing below imports it."""
