"""Health, metrics and (later) live streams and alerts."""
