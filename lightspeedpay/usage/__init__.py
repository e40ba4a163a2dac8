"""API usage analytics (issue 10, seed 001's GET /api/v1/merchant/usage): requests per day by route and status,
error rate and latency percentiles, counted in memory by each API process and rolled up daily in PostgreSQL."""
