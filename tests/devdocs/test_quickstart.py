"""The quickstart, followed by a brand-new merchant in each language against the running platform: signup (curl),
the email's link (curl), test keys (curl), a webhook endpoint (curl), then the language's own receiver and test
payment; the payment is paid on the sandbox and its payment.paid arrives at the receiver, verified. The shell has
no receiver: it checks the delivery recorded in the platform's log."""

from __future__ import annotations

import re
import secrets
import subprocess
import time

import httpx
import pytest

from lightspeedpay.devdocs.service import SAMPLES_DIR
from lightspeedpay.kit import standard_webhooks
from tests.devdocs.samples import command, exports, run, sample_env, start
from tests.factories import create_sandbox_gateway, wait_for
from tests.net import free_port, wait_answering
from tests.people.support import new_email, token_of, wait_mail

PASSWORD = "chai-and-samosa-42"


async def _new_merchant(platform, webhook_url: str) -> dict[str, str]:
    """Steps 1 to 4 of the quickstart with its curl samples: what the shell has once they ran."""
    email = new_email("quickstart")
    env = sample_env(platform.api_url, EMAIL=email, PASSWORD=PASSWORD)
    assert '"status":"verification_sent"' in run(["bash", "signup.sh"], env).replace(" ", "")
    token = token_of(await wait_mail(platform, email))
    assert email in run(["bash", "verify_email.sh"], env | {"TOKEN": token})
    keys = exports(run(["bash", "test_keys.sh"], env))
    assert keys["LSP_KEY_ID"].startswith("lsp_test_") and keys["LSP_KEY_SECRET"], keys
    endpoint = exports(run(["bash", "add_webhook_endpoint.sh"], env | keys | {"WEBHOOK_URL": webhook_url}))
    assert endpoint["LSP_WEBHOOK_SECRET"].startswith("whsec_"), endpoint
    return env | keys | endpoint


def _paid(stdout: str) -> str:
    """The payment id of the sample's last line: `paid pay_… 49900 test`."""
    match = re.search(r"^paid (pay_\w+) 49900 test$", stdout, re.MULTILINE)
    assert match, stdout
    return match.group(1)


@pytest.mark.parametrize("language", ["python", "node", "csharp"])
async def test_quickstart_from_signup_to_a_verified_webhook(platform, session, request, language):
    csharp = request.getfixturevalue("csharp") if language == "csharp" else None
    await create_sandbox_gateway(session, platform.simulator_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks"
    env = await _new_merchant(platform, url)

    receiver = start(command(language, "receiver", csharp), env | {"PORT": str(port)})
    try:
        await wait_answering(url, timeout=60, status_below=600)
        payment_id = _paid(run(command(language, "pay", csharp), env, timeout=180))

        async def delivered() -> list[str] | None:
            found = [line for line in receiver.lines if line.startswith("verified ") and payment_id in line]
            return found or None

        lines = await wait_for(delivered, timeout=60, what=f"payment.paid of {payment_id} at the receiver")
        assert (
            len(lines) == 1
            and "payment.paid" in lines[0]
            and '"status": "paid"' in lines[0].replace('":"', '": "')
        )

        # what the receiver refuses: a forged signature, a changed body, an old delivery; a retry is answered
        # 2xx and handled once
        secret = env["LSP_WEBHOOK_SECRET"]
        body = b'{"id":"evt_x","type":"payment.paid","livemode":false,"data":{"payment_id":"pay_forged"}}'
        now = int(time.time())

        def headers(msg_id: str, ts: int, signature: str) -> dict[str, str]:
            return {
                "webhook-id": msg_id,
                "webhook-timestamp": str(ts),
                "webhook-signature": signature,
                "content-type": "application/json",
            }

        good = standard_webhooks.sign(secret, "msg_retry", now, body)
        async with httpx.AsyncClient(timeout=10) as http:
            forged = standard_webhooks.sign(standard_webhooks.new_secret(), "msg_forged", now, body)
            assert (
                await http.post(url, content=body, headers=headers("msg_forged", now, forged))
            ).status_code == 400
            changed = body.replace(b"pay_forged", b"pay_changed")
            assert (
                await http.post(url, content=changed, headers=headers("msg_retry", now, good))
            ).status_code == 400
            old = standard_webhooks.sign(secret, "msg_old", now - 600, body)
            assert (
                await http.post(url, content=body, headers=headers("msg_old", now - 600, old))
            ).status_code == 400
            for _ in range(2):
                answer = await http.post(url, content=body, headers=headers("msg_retry", now, good))
                assert answer.status_code == 204, answer.text
    finally:
        output = receiver.stop()
    assert "pay_changed" not in output and "msg_forged" not in output and "msg_old" not in output, output
    assert output.count("msg_retry") == 1, output


async def test_quickstart_in_the_shell_checks_the_delivery_log(platform, session):
    await create_sandbox_gateway(session, platform.simulator_url)
    # no server in a shell: the endpoint is the platform's test receiver, which answers 200 without checking
    env = await _new_merchant(platform, f"{platform.receiver_url}/webhooks/quickstart-{secrets.token_hex(4)}")
    payment_id = _paid(run(["bash", "pay.sh"], env, timeout=180))

    async def verified() -> str | None:
        done = subprocess.run(
            ["bash", "verify_last_delivery.sh"],
            cwd=SAMPLES_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if "no delivery yet" in done.stderr:
            return None
        assert done.returncode == 0, done
        return done.stdout if payment_id in done.stdout else None

    out = await wait_for(verified, timeout=60, what=f"the delivery of {payment_id} in the log")
    assert out.startswith("verified payment.paid msg_"), out

    # with another secret the same delivery does not verify, and the script says so (exit 1)
    wrong = env | {"LSP_WEBHOOK_SECRET": standard_webhooks.new_secret()}
    done = subprocess.run(
        ["bash", "verify_last_delivery.sh"],
        cwd=SAMPLES_DIR,
        env=wrong,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "no signature matches" in done.stderr, done
