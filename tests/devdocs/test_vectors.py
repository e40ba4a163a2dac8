"""Every signing and verification sample, in each language, against the published vectors: the README's request
signature, the Standard Webhooks specification's signatures, and the checkout's payment signature as the platform
makes it. The samples are run as files, exactly as the documentation shows them."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from lightspeedpay.devdocs.service import SAMPLES_DIR
from lightspeedpay.kit import standard_webhooks
from lightspeedpay.payments.signatures import payment_signature
from tests.devdocs.samples import tool

LANGUAGES = ["bash", "python", "node", "csharp"]

# README "One payment, step by step": the request-signing vector
SIGNING = (
    "demo_salt",
    "1700000000",
    "POST",
    "/api/v1/pay",
    '{"amount":49900,"order_id":"ORD-1","currency":"INR"}',
)
SIGNATURE = "94c643f9f98bd60b1941af35a5627934b84525cabae87cf83a22667ff0b52e2b"

# the Standard Webhooks specification's vectors (shared/specs; tests/kit/test_standard_webhooks.py)
SW_A = (
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    '{"test": 2432232314}',
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
)
SW_B = (
    "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
    1649367553,
    '{"email":"test@example.com","username":"test_user"}',
    "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
)


def _out(command: list[str], timeout: float = 60) -> str:
    done = subprocess.run(command, cwd=SAMPLES_DIR, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip()


def _node(script: str) -> str:
    return _out([tool("node", "apt-get install nodejs"), "--input-type=module", "-e", script])


def sign(language: str, csharp: dict, *args: str) -> str:
    if language == "bash":
        return _out(["bash", "-c", 'source ./signing.sh && lsp_sign "$@"', "sign", *args])
    if language == "python":
        script = "import sys; from signing import sign; print(sign(*sys.argv[1:5], sys.argv[5].encode()))"
        return _out([sys.executable, "-c", script, *args])
    if language == "node":
        return _node(
            f"import {{ sign }} from './signing.mjs'; console.log(sign(...{json.dumps(list(args))}));"
        )
    return _out(["mono", str(csharp["vectors"]), "sign", *args])


def verify_webhook(
    language: str, csharp: dict, secret: str, msg_id: str, ts: int, body: str, sigs: str, now: int
) -> bool:
    """True when the language's sample accepts the delivery, False when it refuses it (with its own error)."""
    if language == "bash":
        script = 'source ./verify_webhook.sh && verify_webhook "$1" "$2" "$3" "$4" <(printf %s "$5") "$6"'
        done = subprocess.run(
            ["bash", "-c", script, "verify", secret, msg_id, str(ts), sigs, body, str(now)],
            cwd=SAMPLES_DIR,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode in (0, 1) and (done.returncode == 0 or done.stderr), done
        return done.returncode == 0
    if language == "python":
        script = (
            "import sys; from webhook_verify import verify_webhook, WebhookVerificationError\n"
            "s, i, t, b, g, n = sys.argv[1:]\n"
            "try:\n"
            "    verify_webhook(s, {'Webhook-Id': i, 'webhook-timestamp': t, 'webhook-signature': g}, b.encode(),"
            " now=float(n))\n"
            "    print('verified')\n"
            "except WebhookVerificationError as e:\n"
            "    print('refused:', e)\n"
        )
        out = _out([sys.executable, "-c", script, secret, msg_id, str(ts), body, sigs, str(now)])
    elif language == "node":
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sigs}
        out = _node(
            "import { verifyWebhook, WebhookVerificationError } from './webhook_verify.mjs';\n"
            f"try {{ verifyWebhook({json.dumps(secret)}, {json.dumps(headers)}, Buffer.from({json.dumps(body)}),"
            f" {now}); console.log('verified'); }}\n"
            "catch (e) { if (!(e instanceof WebhookVerificationError)) throw e; console.log('refused: ' + e.message); }"
        )
    else:
        out = _out(["mono", str(csharp["vectors"]), "webhook", secret, msg_id, str(ts), sigs, body, str(now)])
    assert out == "verified" or out.startswith("refused: "), out
    return out == "verified"


def verify_payment(
    language: str, csharp: dict, secret: str, order_id: str, payment_id: str, signature: str
) -> bool:
    if language == "bash":
        done = subprocess.run(
            [
                "bash",
                "-c",
                'source ./verify_payment.sh && verify_payment "$@"',
                "v",
                secret,
                order_id,
                payment_id,
                signature,
            ],
            cwd=SAMPLES_DIR,
            capture_output=True,
            timeout=30,
        )
        return done.returncode == 0
    if language == "python":
        script = "import sys; from verify_payment import verify_payment; print(verify_payment(*sys.argv[1:]))"
        out = _out([sys.executable, "-c", script, secret, order_id, payment_id, signature])
    elif language == "node":
        args = json.dumps([secret, order_id, payment_id, signature])
        out = _node(
            f"import {{ verifyPayment }} from './verify_payment.mjs'; console.log(verifyPayment(...{args}) ? 'True' : 'False');"
        )
    else:
        out = _out(["mono", str(csharp["vectors"]), "payment", secret, order_id, payment_id, signature])
    assert out in ("True", "False"), out
    return out == "True"


@pytest.mark.parametrize("language", LANGUAGES)
def test_request_signing_matches_the_readme_vector(language, csharp):
    assert sign(language, csharp, *SIGNING) == SIGNATURE
    # and is the platform's own signature of other requests (a GET signs an empty body; a query and UTF-8 body)
    from lightspeedpay.kit.signing import sign_merchant_request

    for secret, ts, method, path, body in [
        ("s3cr3t-salt", "1767225600", "GET", "/api/v1/transactions/5f0c?limit=20&status=paid", ""),
        (
            "s3cr3t-salt",
            "1767225600123",
            "POST",
            "/api/v1/pay",
            '{"customer":{"name":"आशा राव"},"amount":100}',
        ),
    ]:
        assert sign(language, csharp, secret, ts, method, path, body) == sign_merchant_request(
            secret, ts, method, path, body.encode()
        )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("vector", [SW_A, SW_B], ids=["SW-A", "SW-B"])
def test_webhook_verification_accepts_the_specification_vectors(language, vector, csharp):
    secret, msg_id, ts, body, signature = vector
    assert verify_webhook(language, csharp, secret, msg_id, ts, body, signature, now=ts)
    # one of several signatures (a rotation), whatever its place; other versions are skipped
    decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    several = f"{decoy} v1a,{signature[3:]} {signature}"
    assert verify_webhook(language, csharp, secret, msg_id, ts, body, several, now=ts + 299)


@pytest.mark.parametrize("language", LANGUAGES)
def test_webhook_verification_refuses_what_does_not_verify(language, csharp):
    secret, msg_id, ts, body, signature = SW_A
    refused = [
        (secret, msg_id, ts, body, signature[:-2] + "A=", ts),  # one character changed
        (secret, msg_id, ts, body + " ", signature, ts),  # the body changed
        (secret, "msg_other", ts, body, signature, ts),  # another message's id
        (secret, msg_id, ts, body, "v2," + signature[3:], ts),  # an unknown version
        ("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", msg_id, ts, body, signature, ts),  # another secret
        (secret, msg_id, ts, body, signature, ts + 301),  # too old
        (secret, msg_id, ts, body, signature, ts - 301),  # too new
    ]
    for case in refused:
        assert not verify_webhook(language, csharp, *case[:4], case[4], now=case[5]), case


@pytest.mark.parametrize("language", LANGUAGES)
def test_webhook_verification_accepts_what_the_platform_signs(language, csharp):
    """The platform's signer (kit.standard_webhooks, used by every delivery), during a rotation: two secrets."""
    old, new = standard_webhooks.new_secret(), standard_webhooks.new_secret()
    now = int(time.time())
    body = '{"id":"evt_1","type":"payment.paid","livemode":false,"data":{"amount":49900,"note":"चाय"}}'
    header = standard_webhooks.signature_header([new, old], "msg_1", now, body.encode())
    for secret in (old, new):
        assert verify_webhook(language, csharp, secret, "msg_1", now, body, header, now=now)


@pytest.mark.parametrize("language", LANGUAGES)
def test_payment_signature_verification_agrees_with_the_platform(language, csharp):
    secret, order_id, payment_id = "k3y-s3cret", "order_Q2ZkYmN5cXh2d3", "pay_R5aBcDeFgHiJkL"
    good = payment_signature(secret, order_id, payment_id)
    assert verify_payment(language, csharp, secret, order_id, payment_id, good)
    assert verify_payment(language, csharp, secret, order_id, payment_id, good.upper())
    assert not verify_payment(language, csharp, secret, "order_another00000", payment_id, good)
    assert not verify_payment(language, csharp, "another-secret", order_id, payment_id, good)
    assert not verify_payment(language, csharp, secret, order_id, payment_id, good[:-1])
