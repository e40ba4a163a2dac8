"""Demo traffic for `lightspeedpay up`, made through the platform's own APIs so every console page has something
real to show: a few hundred payments across merchants and gateways (most paid, some failed, some left pending),
refunds, a gateway that is down (its breaker opens and raises alerts), a merchant whose KYC waits for review, and
a settlement run. Runs once, when `up` first creates the demo merchants."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from lightspeedpay.config import get_settings
from lightspeedpay.devtools.documents import jpeg, pdf, png
from lightspeedpay.kit.signing import sign_merchant_request

# a partnership whose PAN and GSTIN are GSTN's documented example (check character and all)
KYC_APPLICATION = {
    "business_type": "partnership",
    "legal_name": "Nayi Dukaan Traders",
    "signatory_name": "Sunita Verma",
    "business_pan": "AAPFU0939F",
    "signatory_pan": "ABCPK1234F",
    "gstin": "27AAPFU0939F1ZV",
    "bank_account_number": "50100012345678",
    "bank_ifsc": "HDFC0001234",
    "website_url": "https://nayidukaan.example.in",
    "contact_name": "Sunita Verma",
    "contact_email": "sunita@nayidukaan.example.in",
    "contact_phone": "919876543210",
}


NAMES = (
    "Aarav Shah",
    "Priya Nair",
    "Rohan Gupta",
    "Ananya Iyer",
    "Vikram Singh",
    "Meera Joshi",
    "Kabir Khan",
)


@dataclass
class Shopkeeper:
    """A demo merchant's live key, to sign its payments with."""

    name: str
    client_key: str
    client_salt: str


@dataclass
class Filled:
    payments: int = 0
    paid: int = 0
    failed: int = 0
    pending: int = 0
    refunds: int = 0
    errors: list[str] = field(default_factory=list)


def _signed(method: str, path: str, body: bytes, shop: Shopkeeper) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "X-Client-Key": shop.client_key,
        "X-Timestamp": ts,
        "Content-Type": "application/json",
        "X-Signature": sign_merchant_request(shop.client_salt, ts, method, path, body),
    }


async def _signed_request(
    http: httpx.AsyncClient, shop: Shopkeeper, method: str, path: str, body: bytes = b"", **headers: str
) -> httpx.Response:
    """A signed request; a 429 is waited out as its Retry-After says (a well-behaved client's manners)."""
    for _ in range(10):
        r = await http.request(
            method, path, content=body, headers={**_signed(method, path, body, shop), **headers}
        )
        if r.status_code != 429:
            return r
        await asyncio.sleep(float(r.headers.get("retry-after", "1")))
    return r


async def _transaction(http: httpx.AsyncClient, shop: Shopkeeper, txn_id: str) -> dict[str, Any]:
    r = await _signed_request(http, shop, "GET", f"/api/v1/transactions/{txn_id}")
    r.raise_for_status()
    found: dict[str, Any] = r.json()
    return found


async def _one_payment(
    http: httpx.AsyncClient, shop: Shopkeeper, rng: random.Random, done: Filled
) -> str | None:
    """One payment, start to finish as a payer would: returns its id when it was paid."""
    amount = rng.choice((49_900, 99_900, 1_50_000, 2_99_900, 5_00_000, 12_49_900, 25_000_00))
    body = json.dumps(
        {
            "amount": amount,
            "order_id": f"demo-{uuid.uuid4().hex[:12]}",
            "currency": "INR",
            "customer": {
                "name": rng.choice(NAMES),
                "email": f"payer{rng.randint(1, 80)}@example.in",
                "phone": f"9198{rng.randint(10**7, 10**8 - 1)}",
            },
        }
    ).encode()
    r = await _signed_request(http, shop, "POST", "/api/v1/pay", body)
    if r.status_code >= 400:
        done.errors.append(f"pay {r.status_code}: {r.text[:200]}")
        return None
    txn_id = r.json()["transaction_id"]
    done.payments += 1
    txn: dict[str, Any] = {}
    for _ in range(60):
        txn = await _transaction(http, shop, txn_id)
        if txn.get("checkout_url") or txn.get("status") in ("failed", "paid"):
            break
        await asyncio.sleep(0.2)
    roll = rng.random()
    if not txn.get("checkout_url") or roll < 0.08:
        done.pending += 1  # the payer walked away
        return None
    outcome = "success" if roll < 0.86 else "failure"
    await http.post(txn["checkout_url"], data={"outcome": outcome}, headers={"accept": "application/json"})
    for _ in range(60):
        txn = await _transaction(http, shop, txn_id)
        if txn["status"] in ("paid", "failed"):
            break
        await asyncio.sleep(0.25)
    if txn["status"] == "paid":
        done.paid += 1
        return str(txn_id)
    done.failed += 1
    return None


async def _refund(
    http: httpx.AsyncClient, shop: Shopkeeper, txn_id: str, done: Filled, *, part: bool
) -> None:
    path = f"/api/v1/transactions/{txn_id}/refunds"
    txn = await _transaction(http, shop, txn_id)
    body = json.dumps({"amount": txn["amount"] // 2} if part else {}).encode()
    r = await _signed_request(http, shop, "POST", path, body, **{"Idempotency-Key": uuid.uuid4().hex})
    if r.status_code < 400:
        done.refunds += 1
    else:
        done.errors.append(f"refund {r.status_code}: {r.text[:200]}")


async def _login(http: httpx.AsyncClient, email: str, password: str) -> str:
    r = await http.post("/api/v1/auth/login", json={"email": email, "password": password, "mode": "token"})
    r.raise_for_status()
    token: str = r.json()["access_token"]
    return token


async def _submit_kyc(
    http: httpx.AsyncClient, owner: tuple[str, str], merchant_id: str, done: Filled
) -> None:
    token = await _login(http, *owner)
    headers = {"Authorization": f"Bearer {token}", "X-Merchant-Id": merchant_id}
    state = (await http.get("/api/v1/merchant/kyc", headers=headers)).json()
    if state.get("status") not in (None, "draft", "clarification_requested"):
        return  # submitted already
    r = await http.put("/api/v1/merchant/kyc", json=KYC_APPLICATION, headers=headers)
    if r.status_code >= 400:
        done.errors.append(f"kyc {r.status_code}: {r.text[:200]}")
        return
    for kind, content, name, ctype in (
        ("pan_card", png(360, 220, (232, 240, 254)), "pan-card.png", "image/png"),
        ("address_proof", jpeg(), "electricity-bill.jpg", "image/jpeg"),
        ("gst_certificate", pdf(), "gst-certificate.pdf", "application/pdf"),
        ("cancelled_cheque", png(420, 180, (254, 249, 231)), "cancelled-cheque.png", "image/png"),
    ):
        up = await http.post(
            "/api/v1/merchant/kyc/documents",
            data={"kind": kind},
            files={"file": (name, content, ctype)},
            headers=headers,
        )
        if up.status_code >= 400:
            done.errors.append(f"kyc document {up.status_code}: {up.text[:200]}")
            return
    r = await http.post("/api/v1/merchant/kyc/submit", headers=headers)
    if r.status_code >= 400:
        done.errors.append(f"kyc submit {r.status_code}: {r.text[:200]}")


async def _flaky_endpoint(http: httpx.AsyncClient, owner: tuple[str, str], done: Filled) -> None:
    """A second live endpoint of the demo merchant, on a receiver endpoint told to fail: its deliveries retry and
    fail, as a merchant's broken server's would."""
    receiver = f"http://127.0.0.1:{get_settings().receiver_port}"
    async with httpx.AsyncClient(timeout=10) as plain:
        r = await plain.put(
            f"{receiver}/_receiver/endpoints/demo-flaky", json={"fail_next": 100_000, "status": 500}
        )
        if r.status_code >= 400:
            done.errors.append(f"receiver {r.status_code}: {r.text[:200]}")
            return
    token = await _login(http, *owner)
    r = await http.post(
        "/api/v1/merchant/webhooks",
        json={
            "url": f"{receiver}/webhooks/demo-flaky",
            "description": "Order system (staging) — down for maintenance",
            "event_types": ["payment.paid", "payment.failed", "refund.processed"],
        },
        headers={"Authorization": f"Bearer {token}", "X-Mode": "live"},
    )
    if r.status_code >= 400:
        done.errors.append(f"webhook endpoint {r.status_code}: {r.text[:200]}")


async def fill(
    base_url: str,
    shops: list[Shopkeeper],
    *,
    operator: tuple[str, str],
    kyc_owner: tuple[str, str, str],
    payments: int = 300,
    progress: Callable[[Filled], None] = lambda _: None,
    seed: int = 11,
    test_shop: Shopkeeper | None = None,
    test_payments: int = 30,
    owner: tuple[str, str] | None = None,
) -> Filled:
    """Make the demo's traffic; `progress` is told after every payment. `test_shop` (the demo merchant's test key)
    makes test-mode payments too; `owner` (the demo merchant's owner) adds a second webhook endpoint whose
    receiver answers 500, so the merchant console has failed deliveries to look at and resend."""
    rng = random.Random(seed)
    done = Filled()
    paid: list[tuple[Shopkeeper, str]] = []
    limit = asyncio.Semaphore(6)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:

        async def worker(shop: Shopkeeper) -> None:
            async with limit:
                try:
                    txn_id = await _one_payment(http, shop, rng, done)
                except httpx.HTTPError as exc:
                    done.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    txn_id = None
                if txn_id:
                    paid.append((shop, txn_id))
                progress(done)

        if owner is not None:
            await _flaky_endpoint(http, owner, done)
        weights = [5, 3, 2, 1][: len(shops)] + [1] * max(0, len(shops) - 4)
        picks = [rng.choices(shops, weights)[0] for _ in range(payments)]
        if test_shop is not None:
            picks += [test_shop] * test_payments
            rng.shuffle(picks)
        await asyncio.gather(*(worker(shop) for shop in picks))
        for i, (shop, txn_id) in enumerate(paid[: max(1, len(paid) // 15)]):
            await _refund(http, shop, txn_id, done, part=i % 2 == 0)
        await _submit_kyc(http, (kyc_owner[1], kyc_owner[2]), kyc_owner[0], done)
        token = await _login(http, *operator)
        today = datetime.now(ZoneInfo("Asia/Kolkata")).date().isoformat()
        r = await http.post(
            "/api/v1/admin/settlements/run",
            json={"date": today},
            headers={"Authorization": f"Bearer {token}"},
        )
        if r.status_code >= 400:
            done.errors.append(f"settlements {r.status_code}: {r.text[:200]}")
    return done
