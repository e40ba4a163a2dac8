"""`lightspeedpay`: run the platform's processes, manage the database, merchants and gateways.

Each command imports what it needs inside the function: every platform process starts through this module,
and importing the whole package up front costs ~1.5 s of CPU per process instead of ~0.3 s (the tests start
six at once on a busy machine, and their health checks timed out)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Mapping
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import typer

from lightspeedpay.config import get_settings

app = typer.Typer(help="LightSpeedPay: payment aggregation platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
merchant_app = typer.Typer(help="Merchants.", no_args_is_help=True)
gateway_app = typer.Typer(help="The gateway pool.", no_args_is_help=True)
simulate_app = typer.Typer(help="Act as a payer against the PSP simulator.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys for secrets at rest.", no_args_is_help=True)
user_app = typer.Typer(help="People who log in: operator staff.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(merchant_app, name="merchant")
app.add_typer(gateway_app, name="gateway")
app.add_typer(simulate_app, name="simulate")
app.add_typer(keys_app, name="keys")
app.add_typer(user_app, name="user")
from lightspeedpay.ledger.cli import ledger_app  # noqa: E402 - the sub-commands live with their domains
from lightspeedpay.settlements.cli import settlements_app  # noqa: E402


def _register_tasks() -> None:
    from lightspeedpay import tasks  # noqa: F401 - a settlement run queues jobs, a ledger check raises alerts (Slack jobs)


app.add_typer(ledger_app, name="ledger", callback=_register_tasks)
app.add_typer(settlements_app, name="settlements", callback=_register_tasks)


def _metrics_dir() -> None:
    """Before anything imports prometheus_client: this host's shared directory for the platform's metrics."""
    from lightspeedpay.monitoring.metrics import prepare

    prepare()


def _count_process(kind: str) -> None:
    from lightspeedpay.kit import metrics

    metrics.PROCESSES.labels(kind).set(1)


def _configure_logging() -> None:
    from lightspeedpay.kit import logging as lsp_logging

    s = get_settings()
    lsp_logging.configure(json=s.log_json, level=s.log_level)


# ---- processes --------------------------------------------------------------------------------------


@app.command()
def api(
    host: str = typer.Option(None),
    port: int = typer.Option(None),
    workers: int = typer.Option(None, help="uvicorn worker processes"),
) -> None:
    """Run the HTTP API."""
    import uvicorn

    _metrics_dir()
    s = get_settings()
    uvicorn.run(
        "lightspeedpay.app:create_app",
        factory=True,
        host=host or s.api_host,
        port=port or s.api_port,
        workers=workers or s.api_workers,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=s.api_keepalive_seconds,
    )


@app.command()
def worker(
    queue: Annotated[list[str] | None, typer.Option("--queue", "-q", help="queue(s) to serve")] = None,
) -> None:
    """Run queue workers (all queues unless --queue is given)."""
    _metrics_dir()
    from lightspeedpay import tasks  # noqa: F401 - registers every job handler
    from lightspeedpay.alerts.rules import scheduler_watchdog
    from lightspeedpay.jobs import queues
    from lightspeedpay.jobs import worker as worker_mod

    for name in queue or []:
        if name not in queues.QUEUE_NAMES:
            raise typer.BadParameter(f"unknown queue {name!r}; one of {', '.join(queues.QUEUE_NAMES)}")
    _configure_logging()
    _count_process("worker")
    asyncio.run(worker_mod.run(list(queue) if queue else None, watchdog=scheduler_watchdog))


@app.command()
def scheduler() -> None:
    """Run the periodic work (lightspeedpay/schedule.py): leads, or stands by while another scheduler leads."""
    _metrics_dir()
    from lightspeedpay import tasks  # noqa: F401 - registers every job handler (the periodic work queues jobs)
    from lightspeedpay.jobs import scheduler as scheduler_mod

    _configure_logging()
    _count_process("scheduler")
    from lightspeedpay.schedule import periodic_tasks

    asyncio.run(scheduler_mod.run(periodic_tasks))


@app.command("metrics-server")
def metrics_server(
    port: Annotated[int, typer.Option("--port", help="where Prometheus scrapes /metrics")] = 9464,
    host: Annotated[str, typer.Option("--host", help="listen address")] = "127.0.0.1",
) -> None:
    """Serve this host's counters (queue workers, scheduler) on /metrics, for a host that runs no API."""
    _metrics_dir()
    _configure_logging()
    from lightspeedpay.monitoring.metrics import serve_counts

    serve_counts(host, port)


@app.command()
def simulator(port: int = typer.Option(None)) -> None:
    """Run the PSP simulator on loopback."""
    _serve_loopback(
        "lightspeedpay.gateways.simulator.app:create_app",
        host=get_settings().simulator_host,
        port=port or get_settings().simulator_port,
    )


@app.command()
def receiver(port: int = typer.Option(None)) -> None:
    """Run a merchant webhook receiver on loopback (for the demo and tests)."""
    _serve_loopback(
        "lightspeedpay.devtools.receiver:create_app",
        host="127.0.0.1",
        port=port or get_settings().receiver_port,
    )


@app.command("whatsapp-standin")
def whatsapp_standin(port: int = typer.Option(None)) -> None:
    """Run the loopback stand-in of the WhatsApp Cloud API (for the demo and tests)."""
    _serve_loopback(
        "lightspeedpay.devtools.whatsapp:create_app",
        host="127.0.0.1",
        port=port or get_settings().wa_standin_port,
    )


@app.command("slack-standin")
def slack_standin(port: int = typer.Option(None)) -> None:
    """Run the loopback stand-in of Slack's incoming webhooks, which records the alerts sent (demo and tests)."""
    _serve_loopback(
        "lightspeedpay.devtools.slack:create_app",
        host="127.0.0.1",
        port=port or get_settings().slack_standin_port,
    )


@app.command("smtp-standin")
def smtp_standin(
    port: int = typer.Option(None, help="HTTP port of the read API (LSP_SMTP_STANDIN_HTTP_PORT)"),
    smtp_port: int = typer.Option(None, help="SMTP port (LSP_SMTP_STANDIN_PORT)"),
) -> None:
    """Run the loopback SMTP stand-in: a real SMTP server that keeps the emails it takes, readable over HTTP at
    /_smtp/messages (demo and tests)."""
    if smtp_port:
        os.environ["LSP_SMTP_STANDIN_PORT"] = str(smtp_port)
        get_settings.cache_clear()
    _serve_loopback(
        "lightspeedpay.devtools.smtp:create_app",
        host="127.0.0.1",
        port=port or get_settings().smtp_standin_http_port,
    )


@app.command()
def shop(port: int = typer.Option(None)) -> None:
    """Run the demo merchant shop (uses checkout.js; LSP_SHOP_CLIENT_KEY / LSP_SHOP_CLIENT_SALT)."""
    os.environ.setdefault("LSP_SHOP_PLATFORM_URL", get_settings().public_base_url)
    _serve_loopback(
        "lightspeedpay.devtools.shop:create_app", host="127.0.0.1", port=port or get_settings().shop_port
    )


def _serve_loopback(app_factory: str, *, host: str, port: int) -> None:
    """Run one of the loopback stand-ins (PSP simulator, receiver, WhatsApp, Slack, demo shop) on uvicorn,
    quietly."""
    import uvicorn

    uvicorn.run(app_factory, factory=True, host=host, port=port, log_level="warning", access_log=False)


# ---- database -----------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database if missing and apply all migrations."""
    from lightspeedpay.db_admin import create_database_if_missing, upgrade_database

    asyncio.run(create_database_if_missing(get_settings().database_url))
    upgrade_database()
    typer.echo("database is at the latest migration")


# ---- merchants and gateways ------------------------------------------------------------------------------


@merchant_app.command("create")
def merchant_create(
    name: Annotated[str, typer.Option("--name", help="company name")],
    webhook_url: Annotated[str | None, typer.Option("--webhook-url")] = None,
    fee_percent: Annotated[str | None, typer.Option("--fee-percent")] = None,
    whatsapp_phone: Annotated[
        str | None, typer.Option("--whatsapp-phone", help="E.164, for dues notices")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a merchant and print its credentials (shown once)."""
    from lightspeedpay.db import sessionmaker
    from lightspeedpay.merchants.service import merchant_service
    from lightspeedpay.models.client import KycStatus
    from lightspeedpay.monitoring.audit import cli_actor

    async def run() -> dict[str, str | None]:
        async with sessionmaker()() as session:
            new = await merchant_service.create(
                session,
                company_name=name,
                webhook_url=webhook_url,
                fee_percent=Decimal(fee_percent) if fee_percent else None,
                whatsapp_phone=whatsapp_phone,
                kyc_status=KycStatus.ACTIVATED,  # an operator onboards it: audited with the creation
                actor=cli_actor(),
            )
            await session.commit()
            return {
                "id": str(new.client.id),
                "company_name": name,
                "client_key": new.client.client_key,
                "client_salt": new.client_salt,
                "test_key_id": new.test_key_id,
                "test_key_secret": new.test_secret,
                "webhook_secret": new.webhook_secret,
                "fee_percent": str(new.client.fee_percent),
                "kyc_status": new.client.kyc_status,
            }

    _show_once(
        asyncio.run(run()),
        as_json=as_json,
        note="client_key/client_salt are the live key (KYC activated: an operator created the merchant), "
        "test_key_id/test_key_secret the test key (sandbox gateways only). Keep the secrets safe: they are "
        "not shown again.",
    )


@merchant_app.command("rotate-salt")
def merchant_rotate_salt(
    client_key: Annotated[str, typer.Argument(help="the merchant's client key (lsp_…)")],
    grace_seconds: Annotated[
        int,
        typer.Option(
            "--grace-seconds",
            help="how long the old salt keeps verifying requests; 0 refuses it at once (a leaked salt)",
        ),
    ] = 86_400,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Issue a new client salt (the live key's secret, shown once); the old one verifies requests until the grace
    period ends (at most 24 h). The same as POST /api/v1/merchant/credentials/regenerate {"mode": "live"}."""
    from lightspeedpay.jobs.unit_of_work import unit_of_work
    from lightspeedpay.merchants.repository import merchant_repo
    from lightspeedpay.merchants.service import merchant_service
    from lightspeedpay.monitoring.audit import cli_actor

    async def run() -> dict[str, str | None]:
        async with unit_of_work() as session:
            client = await merchant_repo.by_key(session, client_key)
            if client is None:
                raise typer.BadParameter(f"no merchant has the client key {client_key!r}")
            salt = await merchant_service.rotate_salt(
                session, client.id, grace_seconds=grace_seconds, actor=cli_actor()
            )
            return {
                "client_key": client_key,
                "client_salt": salt,
                "old_salt_valid_for_seconds": str(grace_seconds),
            }

    _show_once(asyncio.run(run()), as_json=as_json, note="Keep client_salt safe: it is not shown again.")


def _show_once(out: dict[str, str | None], *, as_json: bool, note: str) -> None:
    """Print credentials that are shown this once: as JSON, or aligned with a reminder to keep them."""
    if as_json:
        typer.echo(json.dumps(out))
        return
    width = max(map(len, out))
    for k, v in out.items():
        typer.echo(f"{k:{width}} {v}")
    typer.echo(note)


@gateway_app.command("add")
def gateway_add(
    name: Annotated[str, typer.Option("--name")],
    provider: Annotated[str, typer.Option("--provider")] = "sandbox",
    base_url: Annotated[str | None, typer.Option("--base-url", help="defaults to the PSP simulator")] = None,
    credentials: Annotated[
        str | None, typer.Option("--credentials", help="JSON object; sandbox: generated")
    ] = None,
    monthly_limit: Annotated[int, typer.Option("--monthly-limit", help="paise")] = 100_000_000,
    priority: Annotated[int, typer.Option("--priority")] = 1,
) -> None:
    """Add a PSP account to the pool (credentials are stored encrypted)."""
    from lightspeedpay.gateways.provisioning import add_gateway
    from lightspeedpay.kit.crypto import mask
    from lightspeedpay.monitoring.audit import cli_actor

    gateway_id, creds = asyncio.run(
        add_gateway(
            name=name,
            provider=provider,
            base_url=base_url,
            credentials=json.loads(credentials) if credentials else None,
            monthly_limit=monthly_limit,
            priority=priority,
            actor=cli_actor(),
        )
    )
    typer.echo(
        f"gateway {name} ({provider}) added: id {gateway_id}, key {mask(next(iter(creds.values()), ''))}"
    )


# ---- encryption keys ---------------------------------------------------------------------------------------


@keys_app.command("new")
def keys_new(kid: Annotated[str, typer.Option("--kid", help="key id, e.g. k2025a")]) -> None:
    """Print a fresh AES-256 key spec to prepend to LSP_ENCRYPTION_KEYS."""
    import re

    from lightspeedpay.kit.crypto import new_key_spec

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", kid):
        raise typer.BadParameter("--kid must be 1-32 letters, digits, '_' or '-'")
    typer.echo(new_key_spec(kid))
    typer.echo(
        f'Prepend it to LSP_ENCRYPTION_KEYS ("{kid}:...,<current keys>"), restart every process, then '
        "run `lightspeedpay keys rotate`. Keep the old keys until the rotation has finished.",
        err=True,
    )


@keys_app.command("rotate")
def keys_rotate(
    batch: Annotated[int, typer.Option("--batch", min=1, help="rows per transaction")] = 200,
) -> None:
    """Re-encrypt every stored secret that is not under the primary (first) key of LSP_ENCRYPTION_KEYS."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lightspeedpay.auth.keys import KeyRotationError, rotate_keys
    from lightspeedpay.db import engine, sessionmaker
    from lightspeedpay.kit.crypto import keyring
    from lightspeedpay.monitoring import audit

    async def record(action: str, *, error: str | None = None, counts: dict[str, int] | None = None) -> None:
        # the rotation commits batch by batch; its outcome (or where it stopped) is one audit row at the end
        async with sessionmaker()() as session:
            audit.record(
                session,
                actor=audit.cli_actor(),
                action=action,
                target_type="encryption_key",
                target_id=keyring().primary,
                after={"primary_key_id": keyring().primary},
                reason=error,
                details={"re_encrypted": counts} if counts is not None else None,
            )
            await session.commit()

    async def run(progress: Progress) -> dict[str, int]:
        task = progress.add_task(f"re-encrypting under {keyring().primary!r}", total=None)
        try:
            counts = await rotate_keys(
                sessionmaker(),
                batch=batch,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
            await record("encryption_keys.rotated", counts=counts)
            return counts
        except KeyRotationError as exc:
            await record("encryption_keys.rotation_stopped", error=str(exc))
            raise
        finally:
            await engine().dispose()

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns) as progress:
            counts = asyncio.run(run(progress))
    except KeyRotationError as exc:
        typer.echo(f"rotation stopped: {exc}", err=True)
        raise typer.Exit(1) from None
    for column, n in counts.items():
        typer.echo(f"{column:30} {n} re-encrypted")
    typer.echo(f"all secrets are under key {keyring().primary!r}")


# ---- people ------------------------------------------------------------------------------------------------

T = TypeVar("T")
_OPERATOR_ROLES_HELP = "owner, admin, operations, finance, support or viewer"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _run_identity(step: Coroutine[Any, Any, T]) -> T:
    """Run a login-service call; a refusal (weak password, taken email, last owner…) is one line on stderr."""
    from lightspeedpay.db import engine
    from lightspeedpay.errors import AppError

    async def run() -> T:
        try:
            return await step
        finally:
            await engine().dispose()

    try:
        return asyncio.run(run())
    except AppError as exc:
        typer.echo(f"{exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option("--email")],
    role: Annotated[str, typer.Option("--role", help=_OPERATOR_ROLES_HELP)],
    name: Annotated[str | None, typer.Option("--name")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
) -> None:
    """Make an operator (the first owner, then others): the password is asked for, or read from stdin."""
    from lightspeedpay.jobs.unit_of_work import unit_of_work
    from lightspeedpay.monitoring.audit import cli_actor
    from lightspeedpay.people.login_service import login_service

    password = _password(password_stdin)

    async def create() -> str:
        async with unit_of_work() as session:
            user = await login_service.create_operator(
                session, email=email, password=password, role=role, name=name, actor=cli_actor()
            )
            return str(user.id)

    user_id = _run_identity(create())
    typer.echo(f"created {role} {email} ({user_id}); log in with POST /api/v1/auth/login")


@user_app.command("set-role")
def user_set_role(
    email: Annotated[str, typer.Option("--email")],
    role: Annotated[str, typer.Option("--role", help=f"{_OPERATOR_ROLES_HELP}, or none")],
) -> None:
    """Change a person's operator role (`none` makes them no longer operator staff); never the last owner's."""
    from lightspeedpay.jobs.unit_of_work import unit_of_work
    from lightspeedpay.monitoring.audit import cli_actor
    from lightspeedpay.people.login_service import login_service

    async def change() -> tuple[str | None, str | None]:
        async with unit_of_work() as session:
            return await login_service.set_operator_role(
                session, email=email, role=None if role == "none" else role, actor=cli_actor()
            )

    before, after = _run_identity(change())
    typer.echo(f"{email}: {before or 'none'} -> {after or 'none'}")


@user_app.command("disable")
def user_disable(email: Annotated[str, typer.Option("--email")]) -> None:
    """Disable a person: they cannot log in, and every session and token of theirs ends now."""
    from lightspeedpay.jobs.unit_of_work import unit_of_work
    from lightspeedpay.monitoring.audit import cli_actor
    from lightspeedpay.people.login_service import login_service

    async def disable() -> None:
        async with unit_of_work() as session:
            await login_service.disable(session, email=email, actor=cli_actor())

    _run_identity(disable())
    typer.echo(f"{email} is disabled")


# ---- the payer ---------------------------------------------------------------------------------------------


@simulate_app.command("pay")
def simulate_pay(
    transaction_id: str,
    outcome: Annotated[str, typer.Option("--outcome", help="success or failure")] = "success",
    wait: Annotated[float, typer.Option(help="seconds to wait for the PSP order")] = 15.0,
) -> None:
    """Complete a transaction's payment on the simulator's hosted page, as the payer would."""
    import httpx

    if outcome not in ("success", "failure"):
        raise typer.BadParameter("--outcome must be success or failure")
    checkout_url = asyncio.run(_checkout_url(transaction_id, wait))
    resp = httpx.post(
        checkout_url,
        data={"outcome": outcome},
        headers={"accept": "application/json"},
        follow_redirects=False,
        timeout=10,
    )
    if resp.status_code >= 400:
        typer.echo(f"the simulator refused: {resp.status_code} {resp.text}", err=True)
        raise typer.Exit(1)
    typer.echo(f"payer chose {outcome} for transaction {transaction_id}; the PSP webhook is on its way")


async def _simulator_key(gateway_name: str) -> str:
    from lightspeedpay.db import sessionmaker
    from lightspeedpay.gateways.repository import gateway_repo
    from lightspeedpay.gateways.service import gateway_service

    async with sessionmaker()() as session:
        gateway = await gateway_repo.by_name(session, gateway_name)
    if gateway is None:
        raise typer.BadParameter(f"no gateway named {gateway_name!r}")
    return gateway_service.account(gateway).credentials["key_id"]


def _simulator_put(path: str, body: Mapping[str, object]) -> dict[str, object]:
    import httpx

    resp = httpx.put(f"{get_settings().simulator_url}{path}", json=body, timeout=10)
    if resp.status_code >= 400:
        typer.echo(f"the simulator refused: {resp.status_code} {resp.text}", err=True)
        raise typer.Exit(1)
    return resp.json()


@simulate_app.command("fault")
def simulate_fault(
    gateway: Annotated[str, typer.Argument(help="gateway name, e.g. sandbox_1")],
    decline: Annotated[bool, typer.Option(help="order creation answers a business error")] = False,
    http_5xx: Annotated[
        int | None, typer.Option("--http-5xx", help="answer every API call with this 5xx")
    ] = None,
    timeout: Annotated[float | None, typer.Option(help="sleep this many seconds before answering")] = None,
    slow_ms: Annotated[int, typer.Option(help="added latency on every API answer")] = 0,
    duplicate_webhook: Annotated[bool, typer.Option(help="send every webhook twice")] = False,
    out_of_order: Annotated[bool, typer.Option(help="send webhooks in the wrong order")] = False,
    drop_webhook: Annotated[bool, typer.Option(help="never send webhooks")] = False,
) -> None:
    """Switch a gateway's PSP faults on the simulator (no option clears them)."""
    body: dict[str, object] = {
        "decline": decline,
        "slow_ms": slow_ms,
        "duplicate_webhook": duplicate_webhook,
        "out_of_order": out_of_order,
        "drop_webhook": drop_webhook,
    }
    if http_5xx is not None:
        body["http_5xx"] = http_5xx
    if timeout is not None:
        body.update(timeout=True, timeout_seconds=timeout)
    key_id = asyncio.run(_simulator_key(gateway))
    typer.echo(json.dumps(_simulator_put(f"/_sim/accounts/{key_id}/faults", body)))


@simulate_app.command("mode")
def simulate_mode(
    gateway: Annotated[str, typer.Argument(help="gateway name, e.g. sandbox_1")],
    auto: Annotated[
        str, typer.Option(help="success, failure or off: resolve every payment without a payer")
    ] = "off",
    delay_ms: Annotated[int, typer.Option(help="processing delay before the PSP's webhook")] = 0,
) -> None:
    """Test modes of a gateway's PSP account: always succeed, always fail, processing delay."""
    if auto not in ("success", "failure", "off"):
        raise typer.BadParameter("--auto must be success, failure or off")
    key_id = asyncio.run(_simulator_key(gateway))
    body = {"auto_outcome": None if auto == "off" else auto, "delay_ms": delay_ms}
    typer.echo(json.dumps(_simulator_put(f"/_sim/accounts/{key_id}/mode", body)))


async def _checkout_url(transaction_id: str, wait: float) -> str:
    import uuid

    from lightspeedpay.db import sessionmaker
    from lightspeedpay.models import Transaction

    deadline = time.monotonic() + wait
    async with sessionmaker()() as session:
        while True:
            txn = await session.get(Transaction, uuid.UUID(transaction_id), populate_existing=True)
            if txn is None:
                raise typer.BadParameter(f"no transaction {transaction_id}")
            if txn.checkout_url:
                return txn.checkout_url
            if time.monotonic() > deadline:
                typer.echo("the PSP order was not created yet; are the workers running?", err=True)
                raise typer.Exit(1)
            await session.rollback()
            await asyncio.sleep(0.3)


# ---- everything at once ---------------------------------------------------------------------------------


@app.command()
def up(port: int = typer.Option(None, help="API port")) -> None:
    """Set up the database and demo data, then run the API, workers, scheduler, PSP simulator, a demo
    merchant webhook receiver and the WhatsApp, Slack and SMTP stand-ins together. Ctrl-C stops them all."""
    from lightspeedpay.db_admin import create_database_if_missing, upgrade_database
    from lightspeedpay.devtools import demo
    from lightspeedpay.kit.readiness import wait_http

    s = get_settings()
    api_port = port or s.api_port
    _metrics_dir()  # empty for this run of the platform; the processes below inherit it
    asyncio.run(create_database_if_missing(s.database_url))
    upgrade_database()
    creds = asyncio.run(demo.seed())
    env = dict(
        os.environ,
        LSP_RECEIVER_SECRET=creds["webhook_secret"],
        LSP_API_PORT=str(api_port),
        LSP_SHOP_CLIENT_KEY=creds["client_key"],
        LSP_SHOP_CLIENT_SALT=creds["client_salt"],
    )
    env.setdefault("LSP_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")  # the demo receiver is on loopback
    if s.slack_webhook_url == type(s).model_fields["slack_webhook_url"].default:
        # alerts go to the Slack stand-in started below, on whichever port it was given
        env["LSP_SLACK_WEBHOOK_URL"] = s.slack_webhook_url.replace(":8965/", f":{s.slack_standin_port}/")
    if s.smtp_url == type(s).model_fields["smtp_url"].default:
        env["LSP_SMTP_URL"] = f"smtp://127.0.0.1:{s.smtp_standin_port}"  # the SMTP stand-in started below
    exe = [sys.executable, "-m", "lightspeedpay.cli"]
    specs = {
        "api": [*exe, "api"],
        "worker": [*exe, "worker"],
        "scheduler": [*exe, "scheduler"],
        "simulator": [*exe, "simulator"],
        "receiver": [*exe, "receiver"],
        "shop": [*exe, "shop"],
        "whatsapp": [*exe, "whatsapp-standin"],
        "slack": [*exe, "slack-standin"],
        "smtp": [*exe, "smtp-standin"],
    }
    procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in specs.items()}

    def stop(*_: object) -> None:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    base = f"http://{s.api_host}:{api_port}"
    try:
        wait_http(f"{base}/health", 60)
    except TimeoutError as exc:
        typer.echo(f"{exc}; is PostgreSQL or Redis down? stopping everything", err=True)
        stop()
    typer.echo(demo.banner(base, creds))
    if s.smtp_url == type(s).model_fields["smtp_url"].default:
        # the platform's email goes to the stand-in; say where to read it
        typer.echo(
            f"Emails (SMTP stand-in on 127.0.0.1:{s.smtp_standin_port}): "
            f"http://127.0.0.1:{s.smtp_standin_http_port}/_smtp/messages"
        )
    if creds["fresh"]:
        threading.Thread(target=_demo_traffic, args=(base, creds), daemon=True).start()
    while True:
        for name, p in procs.items():
            if p.poll() is not None:
                typer.echo(f"{name} exited with {p.returncode}; stopping everything", err=True)
                stop()
        time.sleep(1)


def _demo_traffic(base: str, creds: dict[str, Any]) -> None:
    """The first `up` fills the consoles through the APIs: payments, refunds, a KYC to review, a settlement run."""
    from lightspeedpay.devtools import demo, demo_traffic

    test_total = 30  # the demo merchant's test-mode payments, beside the live ones
    total = 300 + test_total
    shown = [0]

    def progress(done: demo_traffic.Filled) -> None:
        finished = done.paid + done.failed + done.pending
        if finished - shown[0] >= 30 or finished == total:
            shown[0] = finished
            typer.echo(f"demo data: {finished}/{total} payments ({done.paid} paid, {done.failed} failed)")

    shops = [demo_traffic.Shopkeeper(**shop) for shop in creds["shops"]]
    filled = asyncio.run(
        demo_traffic.fill(
            base,
            shops,
            operator=demo.DEMO_OPERATOR,
            kyc_owner=(creds["kyc_merchant_id"], *demo.KYC_OWNER),
            payments=total - test_total,
            progress=progress,
            test_shop=demo_traffic.Shopkeeper(
                demo.DEMO_MERCHANT, creds["test_key_id"], creds["test_key_secret"]
            ),
            test_payments=test_total,
            owner=demo.DEMO_MERCHANT_OWNER,
        )
    )
    typer.echo(
        f"demo data ready: {filled.payments} payments ({filled.paid} paid, {filled.failed} failed, "
        f"{filled.pending} left pending), {filled.refunds} refunds, a KYC application waiting for review"
        + (f"; {len(filled.errors)} requests refused, the first: {filled.errors[0]}" if filled.errors else "")
    )


def main() -> None:
    app()
