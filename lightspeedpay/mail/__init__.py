"""Email: queued through the outbox (`mail.service.email_service.queue`), sent over SMTP by the
email-notifications queue (`mail.tasks`)."""
