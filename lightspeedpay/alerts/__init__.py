"""Alerts: conditions an operator must see, raised and resolved by the writers that notice them and by rules
the scheduler runs, acknowledged by a person, sent to Slack when opened and when resolved."""
