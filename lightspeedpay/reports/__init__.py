"""Reports for operators: the daily system health report."""
