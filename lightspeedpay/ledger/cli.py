"""`lightspeedpay ledger …`: the invariant check an operator (or a cron) can run."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

ledger_app = typer.Typer(help="The commission ledger.", no_args_is_help=True)


def logs_to_stderr() -> None:
    """Logs go to stderr, so the command's output (a table, JSON) can be piped."""
    import sys

    import structlog

    from lightspeedpay.config import get_settings
    from lightspeedpay.kit import logging as lsp_logging

    s = get_settings()
    lsp_logging.configure(json=s.log_json, level=s.log_level)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))


@ledger_app.command("check")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="print the violations as JSON")] = False,
    alert: Annotated[bool, typer.Option(help="raise an alert row per new violation")] = True,
) -> None:
    """Check the ledger's invariants; exits 1 and lists what is wrong when any is violated."""
    from rich.console import Console
    from rich.table import Table

    from lightspeedpay.db import engine
    from lightspeedpay.ledger.checker import CHECKS, ledger_checker

    async def run() -> list:  # type: ignore[type-arg]
        try:
            return await ledger_checker.run(alert=alert)
        finally:
            await engine().dispose()

    import sys

    logs_to_stderr()
    # piped or captured: wide enough that no name is folded
    console = Console(stderr=as_json, width=None if sys.stdout.isatty() else 220)
    with console.status("checking the ledger's invariants…"):
        violations = asyncio.run(run())
    if as_json:
        typer.echo(
            json.dumps([{"check": v.check, "subject": v.subject, "message": v.message} for v in violations])
        )
    elif violations:
        table = Table(title=f"{len(violations)} ledger invariant violation(s)")
        for column in ("check", "rule", "subject", "what is wrong"):
            table.add_column(column, overflow="fold")
        for v in violations:
            table.add_row(v.check, CHECKS[v.check], v.subject, v.message)
        console.print(table)
    else:
        for name, rule in CHECKS.items():
            console.print(f"[green]ok[/green] {name}: {rule}")
        console.print("the ledger is consistent")
    if violations:
        raise typer.Exit(1)
