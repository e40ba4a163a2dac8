"""Seed 003's daily housekeeping: daily runs once per IST day, the archive of final payments, retention."""
