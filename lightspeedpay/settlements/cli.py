"""`lightspeedpay settlements run`: settle a day now, with progress."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Annotated

import typer

from lightspeedpay.models.settlement import SettlementStatus

settlements_app = typer.Typer(help="Settlements.", no_args_is_help=True)


@settlements_app.command("run")
def run_settlements(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: yesterday, IST)")] = None,
    merchant: Annotated[
        str | None,
        typer.Option("--merchant", help="a merchant id (default: every merchant with something unsettled)"),
    ] = None,
) -> None:
    """Create the day's settlements (a period is never settled twice) and process them here, showing progress."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lightspeedpay.db import engine, sessionmaker
    from lightspeedpay.errors import AppError
    from lightspeedpay.jobs import outbox, queues, registry, runner
    from lightspeedpay.kit import http
    from lightspeedpay.ledger.cli import logs_to_stderr
    from lightspeedpay.models import Settlement
    from lightspeedpay.monitoring.audit import cli_actor
    from lightspeedpay.settlements.repository import settlement_repo
    from lightspeedpay.settlements.service import settlement_service

    logs_to_stderr()
    try:
        period = date.fromisoformat(day) if day else None
        client_id = uuid.UUID(merchant) if merchant else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    async def run(progress: Progress) -> list[Settlement]:
        registry.load_all()
        try:
            async with sessionmaker()() as session:
                results = await settlement_service.run(
                    session, day=period, client_id=client_id, actor=cli_actor()
                )
                await session.commit()
                outbox.forget(session)  # processed below, in this process; the sweeper covers a crash
            ids = [s.id for s, _ in results]

            async def show_progress() -> None:
                async with sessionmaker()() as session:
                    finished = await settlement_repo.count_finished(session, ids)
                progress.update(task, completed=finished)

            task = progress.add_task(
                f"settling {results[0][0].period_date if results else period or 'yesterday'}", total=len(ids)
            )
            while True:
                async with sessionmaker()() as session:
                    intents = await settlement_repo.pending_intents(session, ids)
                progressed = False
                for intent_id in intents:
                    try:
                        await runner.run_intent(intent_id)
                        progressed = True
                    except Exception as exc:  # noqa: BLE001 - recorded on the intent (retried, then failed)
                        progress.console.print(f"[red]job {intent_id} failed: {exc}[/red]")
                    await show_progress()
                if not progressed:
                    break  # nothing left, or every job failed this round: they stay pending with their error
            await show_progress()
            async with sessionmaker()() as session:
                return [s for sid in ids if (s := await session.get(Settlement, sid)) is not None]
        finally:
            await queues.close()
            await http.close()
            await engine().dispose()

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns) as progress:
            settled = asyncio.run(run(progress))
    except AppError as exc:
        typer.echo(f"refused: {exc.message}", err=True)
        raise typer.Exit(2) from None
    if not settled:
        typer.echo("nothing to settle")
        return
    for s in settled:
        line = (
            f"{s.id}  merchant {s.client_id}  {s.period_date}  {s.status:10}  payments {s.payment_count}  "
            f"refunds {s.refund_count}  gross {s.gross_amount}  net {s.net_amount}  "
            f"dues deducted {s.dues_deducted}  payable {s.payable_amount}"
        )
        typer.echo(line + (f"  ({s.failure_reason})" if s.failure_reason else ""))
    if any(s.status == SettlementStatus.FAILED for s in settled):
        raise typer.Exit(1)
