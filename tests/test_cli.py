"""The operator's CLI against the running platform: merchants, gateways, the payer, faults and test modes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx

from tests.factories import create_merchant, merchant_client, wait_for


def cli(platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lightspeedpay.cli", *args],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_cli_merchant_gateway_simulate(platform, session):
    made = await asyncio.to_thread(cli, platform, "merchant", "create", "--name", "CLI Shop", "--json")
    assert made.returncode == 0, made.stderr
    out = json.loads(made.stdout)
    assert out["client_key"].startswith("lsp_") and len(out["client_salt"]) == 64
    assert out["webhook_secret"].startswith("whsec_")

    added = await asyncio.to_thread(
        cli,
        platform,
        "gateway",
        "add",
        "--name",
        "cli_gw",
        "--base-url",
        platform.simulator_url,
        "--credentials",
        json.dumps({"key_id": "sbx_cli", "key_secret": "s3cret-cli-key", "webhook_secret": "wh-cli"}),
    )
    assert added.returncode == 0, added.stderr
    assert "s3cret" not in added.stdout
    async with (
        httpx.AsyncClient() as http
    ):  # credentials given by hand are registered on the simulator by hand
        await http.put(
            f"{platform.simulator_url}/_sim/accounts/sbx_cli",
            json={"key_secret": "s3cret-cli-key", "webhook_secret": "wh-cli", "provider": "sandbox"},
        )

    mode = await asyncio.to_thread(
        cli, platform, "simulate", "mode", "cli_gw", "--auto", "off", "--delay-ms", "10"
    )
    assert mode.returncode == 0 and json.loads(mode.stdout)["delay_ms"] == 10, mode.stderr
    fault = await asyncio.to_thread(cli, platform, "simulate", "fault", "cli_gw", "--slow-ms", "5")
    assert fault.returncode == 0, fault.stderr
    assert (await asyncio.to_thread(cli, platform, "simulate", "fault", "no_such_gw")).returncode != 0

    new = await create_merchant(session)
    async with httpx.AsyncClient(timeout=15) as http:
        client = merchant_client(platform.api_url, new, http)
        txn_id = (await client.pay(amount=12_300)).json()["transaction_id"]
        paid = await asyncio.to_thread(cli, platform, "simulate", "pay", txn_id, "--outcome", "success")
        assert paid.returncode == 0, paid.stderr

        async def is_paid():
            return (await client.get(f"/api/v1/transactions/{txn_id}")).json()["status"] == "paid"

        await wait_for(is_paid, what="the CLI payer's payment")
