"""Delivery rules (status codes, Retry-After), the address filter against internal targets, and rotation
signatures checked with the reference Standard Webhooks library."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook

from lightspeedpay.kit import standard_webhooks
from lightspeedpay.webhooks import rules, sender, targets
from lightspeedpay.webhooks.rules import Verdict


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Verdict.DELIVERED),
        (201, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (299, Verdict.DELIVERED),
        (410, Verdict.GONE),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (504, Verdict.RETRY),
        (None, Verdict.RETRY),
        (301, Verdict.RETRY),
        (302, Verdict.RETRY),
        (307, Verdict.RETRY),
        (400, Verdict.FINAL),
        (401, Verdict.FINAL),
        (403, Verdict.FINAL),
        (404, Verdict.FINAL),
        (405, Verdict.FINAL),
        (409, Verdict.FINAL),
        (413, Verdict.FINAL),
        (422, Verdict.FINAL),
        (499, Verdict.FINAL),
    ],
)
def test_verdict_per_status(status, expected):
    assert rules.verdict(status) is expected


def test_retry_after_seconds_and_http_dates():
    now = datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)
    assert rules.retry_after_seconds("120", now=now) == 120
    assert rules.retry_after_seconds(" 7 ", now=now) == 7
    assert rules.retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert rules.retry_after_seconds("Mon, 05 Jan 2026 10:02:00 GMT", now=now) == 120
    assert rules.retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    for junk in (None, "", "soon", "-5", "1.5", "Mon, 99 Foo 2026"):
        assert rules.retry_after_seconds(junk, now=now) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "not a public address"),
        ("192.0.2.10", "private"),
        ("198.18.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),  # IPv4-mapped IPv6
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 wrapping 169.254.169.254
    ],
)
def test_internal_addresses_are_refused(address, reason):
    assert reason in (targets.refusal_reason(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2001:4860:4860::8888", "2606:4700:4700::1111"]
)
def test_public_addresses_pass(address):
    assert targets.refusal_reason(ipaddress.ip_address(address)) is None


def test_every_resolved_address_is_checked():
    assert targets.check_addresses("shop.example", ["93.184.216.34", "2606:2800:220:1::1"])
    # one internal address among public ones is enough to refuse the host (a DNS answer can mix them)
    with pytest.raises(
        targets.TargetRefused, match=r"shop\.example resolves to 10\.0\.0\.7, which is a private"
    ):
        targets.check_addresses("shop.example", ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(targets.TargetRefused, match="link-local"):
        targets.check_addresses("shop.example", ["fe80::1%eth0"])
    with pytest.raises(targets.TargetRefused, match="does not resolve"):
        targets.check_addresses("shop.example", [])


async def test_resolution_refuses_names_and_literals_of_internal_addresses():
    for url in (
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/x",
        "http://0.0.0.0:9/",
    ):
        with pytest.raises(targets.TargetRefused, match="webhooks are only delivered to public addresses"):
            await targets.resolve(url, allow_private=False, timeout=5)
    public = await targets.resolve("https://93.184.216.34:8443/hook", allow_private=False, timeout=5)
    assert public.url == "https://93.184.216.34:8443/hook"
    allowed = await targets.resolve("http://127.0.0.1:8080/hook", allow_private=True, timeout=5)
    assert allowed.url == "http://127.0.0.1:8080/hook" and allowed.headers == {}
    with pytest.raises(targets.TargetRefused, match="not an http"):
        await targets.resolve("ftp://93.184.216.34/x", allow_private=False, timeout=5)


def test_literal_refusal_when_saving_an_endpoint():
    assert "loopback" in targets.literal_refusal("http://127.0.0.1:9000/x")
    assert "loopback" in targets.literal_refusal("http://LOCALHOST/x")
    assert "loopback" in targets.literal_refusal("http://api.localhost/x")
    assert "private" in targets.literal_refusal("https://192.168.0.10/x")
    assert targets.literal_refusal("https://shop.example.com/hooks") is None  # names are checked at delivery
    assert targets.literal_refusal("https://8.8.8.8/hooks") is None


def test_rotation_signs_with_both_secrets_new_first_and_the_reference_library_accepts_either():
    new, old = standard_webhooks.new_secret(), standard_webhooks.new_secret()
    body = b'{"id":"evt_1","type":"payment.paid","data":{"amount":100}}'
    req = sender.build_request("https://shop.example.com/h", msg_id="msg_1", body=body, secrets=[new, old])
    signatures = req.headers["webhook-signature"].split(" ")
    ts = int(req.headers["webhook-timestamp"])
    assert signatures == [
        standard_webhooks.sign(new, "msg_1", ts, body),
        standard_webhooks.sign(old, "msg_1", ts, body),
    ]
    for secret in (new, old):
        assert Webhook(secret).verify(body, req.headers)["type"] == "payment.paid"
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(standard_webhooks.new_secret()).verify(body, req.headers)
    single = sender.build_request("https://shop.example.com/h", msg_id="msg_1", body=body, secrets=[new])
    assert " " not in single.headers["webhook-signature"]
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(old).verify(body, single.headers)
