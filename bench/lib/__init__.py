"""Reusable pieces of the benchmarks under bench/ (the scripts themselves stay small orchestrators).

    common   the tree being measured (ROOT, RESULTS), the console, free ports, source_info
    cpu      CpuMeter and the /proc readers behind it
    pg       PostgreSQL: connection helpers, quiet-wait, reset/seed, counters, pg_stat_activity, pgbench
    redisdb  Redis: clearing a prefix, the server's pid, commands processed
    api      the API process (`lightspeedpay api --workers N`), HTTP status, connections per worker
    load     pre-signed requests, the closed-loop load driver, PhaseResult, percentiles
    profile  py-spy on the API workers and its summary
    report   tables, chart, summary and the results file

The scripts put the repository root first on sys.path, so these import as `bench.lib.<module>`.
"""
