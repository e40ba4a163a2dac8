"""Demo data for `lightspeedpay up`: merchants, gateways (one of them down) and people, created once; the traffic
that fills the consoles is made through the APIs afterwards (devtools/demo_traffic.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.config import get_settings
from lightspeedpay.db import sessionmaker
from lightspeedpay.gateways.provisioning import add_gateway, register_simulator_account
from lightspeedpay.gateways.repository import gateway_repo
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.identity.passwords import hash_password
from lightspeedpay.identity.repository import identity_repo
from lightspeedpay.merchants.credentials import credential_service
from lightspeedpay.merchants.repository import credential_repo, merchant_repo
from lightspeedpay.merchants.service import merchant_service
from lightspeedpay.models import Client, MerchantMembership, User
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.client import KycStatus
from lightspeedpay.monitoring import audit

DEMO_MERCHANT = "Demo Store"
# the demo's people: an operator who owns the platform, and the owner of the demo merchant (development only:
# `up` refuses to seed them with LSP_ENV=production)
DEMO_OPERATOR = ("operator@demo.lightspeedpay.test", "demo-operator-password")
DEMO_MERCHANT_OWNER = ("owner@demo-store.test", "demo-merchant-password")
# the rest of Demo Store's team (same password), so its Team page and each role's console can be tried
DEMO_MERCHANT_TEAM = (("dev@demo-store.test", "developer"), ("accounts@demo-store.test", "finance"))
# more merchants, so the operator's console has several to compare; and one whose KYC waits for review
MORE_MERCHANTS = (
    ("Chai Point", Decimal("2.0")),
    ("Kirana Mart", Decimal("1.75")),
    ("Pustak Books", Decimal("2.5")),
)
# the demo's traffic makes a few hundred payments at once (more than a shop's 100 requests a minute), and its
# dues pass the warning (WhatsApp notices) but stay under the suspension limit
DEMO_SETTINGS = {"rate_limit_per_minute": 2000, "warn_threshold": 5_000_00, "suspend_threshold": 1_00_000_00}
KYC_MERCHANT = "Nayi Dukaan"
KYC_OWNER = ("owner@nayi-dukaan.test", "demo-merchant-password")
# a gateway that is down (nothing listens on the discard port): its breaker opens and alerts are raised
DOWN_GATEWAY = ("razorpay_primary", "razorpay", "http://127.0.0.1:9")


async def credentials(session: AsyncSession) -> dict[str, Any] | None:
    """The demo merchant's keys (for `GET /api/v1/test/merchant`), or None before `lightspeedpay up` made it."""
    client = await merchant_repo.by_name(session, DEMO_MERCHANT)
    if client is None:
        return None
    return {
        "client_id": str(client.id),
        "company_name": client.company_name,
        **await _keys(session, client, make_test_secret=False),
        "webhook_secret": merchant_service.webhook_secret(client),
    }


async def _keys(session: AsyncSession, client: Client, *, make_test_secret: bool) -> dict[str, Any]:
    """The demo's live and test keys with their current secrets (a dev convenience: real merchants see a secret
    once). `make_test_secret`: a demo merchant from before test keys existed gets its test secret (`up`)."""
    keys = {c.mode: c.key_id for c in await credential_repo.of_merchant(session, client.id)}
    live = await credential_service.current_secret(session, client.id, Mode.LIVE)
    test = await credential_service.current_secret(session, client.id, Mode.TEST)
    if test is None and make_test_secret:
        test = (
            await credential_service.regenerate(session, client.id, Mode.TEST, grace_seconds=0, actor="demo")
        ).secret
        await session.commit()
    return {
        "client_key": client.client_key,
        "client_salt": live or "",
        "test_key_id": keys[Mode.TEST],
        "test_key_secret": test,
    }


async def seed() -> dict[str, Any]:
    s = get_settings()
    async with sessionmaker()() as session:
        client = await merchant_repo.by_name(session, DEMO_MERCHANT)
        if client is None:
            new = await merchant_service.create(
                session,
                company_name=DEMO_MERCHANT,
                webhook_url=f"http://127.0.0.1:{s.receiver_port}/webhooks/demo",
                kyc_status=KycStatus.ACTIVATED,
                actor="demo",
            )
            await session.commit()
            client = new.client
        shop = f"http://127.0.0.1:{s.shop_port}"
        if shop not in client.checkout_origins:  # a demo made before checkout origins existed
            client.checkout_origins = [*client.checkout_origins, shop]
            await session.commit()
        creds = {
            "client_id": str(client.id),
            **await _keys(session, client, make_test_secret=True),
            "webhook_secret": merchant_service.webhook_secret(client),
        }
        await _seed_person(session, *DEMO_OPERATOR, operator_role="owner")
        await _seed_person(session, *DEMO_MERCHANT_OWNER, merchant_id=client.id)
        for email, role in DEMO_MERCHANT_TEAM:
            await _seed_person(session, email, DEMO_MERCHANT_OWNER[1], merchant_id=client.id, role=role)
        await session.commit()
        creds["shops"], creds["fresh"] = await _more_merchants(session, creds)
        existing = {g.name: g for g in await gateway_repo.all(session)}
    for i, priority in ((1, 2), (2, 2), (3, 1)):
        name = f"sandbox_{i}"
        if name in existing:
            # the simulator's account file may be gone (a fresh .lsp); register again from the DB copy
            account = gateway_service.account(existing[name])
            register_simulator_account(account.credentials, "sandbox")
            continue
        await add_gateway(
            name=name,
            provider="sandbox",
            base_url=None,
            credentials=None,
            monthly_limit=50_000_000_00,
            priority=priority,
            actor="demo",
        )
    if DOWN_GATEWAY[0] not in existing:
        name, provider, base_url = DOWN_GATEWAY
        await add_gateway(
            name=name,
            provider=provider,
            base_url=base_url,
            credentials={
                "key_id": "rzp_demo_key",
                "key_secret": "demo-secret",
                "webhook_secret": "demo-webhook",
            },
            monthly_limit=20_000_000_00,
            priority=3,  # routing tries it first, fails over, and its breaker opens
            actor="demo",
        )
    return creds


async def _more_merchants(session: AsyncSession, creds: dict[str, Any]) -> tuple[list[dict[str, str]], bool]:
    """The other demo merchants' live keys (made the first time), and whether they are new (then `up` makes the
    demo's traffic)."""
    s = get_settings()
    shops = [{"name": DEMO_MERCHANT, "client_key": creds["client_key"], "client_salt": creds["client_salt"]}]
    fresh = False
    demo_store = await merchant_repo.by_name(session, DEMO_MERCHANT)
    if demo_store is not None and demo_store.rate_limit_per_minute is None:
        await merchant_service.update_settings(session, demo_store.id, DEMO_SETTINGS, actor="demo")
        await session.commit()
    for name, fee in MORE_MERCHANTS:
        client = await merchant_repo.by_name(session, name)
        if client is None:
            fresh = True
            client = (
                await merchant_service.create(
                    session,
                    company_name=name,
                    # each merchant its own endpoint on the receiver (one secret per endpoint)
                    webhook_url=f"http://127.0.0.1:{s.receiver_port}/webhooks/{name.lower().replace(' ', '-')}",
                    fee_percent=fee,
                    whatsapp_phone="919876500001",
                    kyc_status=KycStatus.ACTIVATED,
                    actor="demo",
                )
            ).client
            await merchant_service.update_settings(session, client.id, DEMO_SETTINGS, actor="demo")
            await session.commit()
        live = await credential_service.current_secret(session, client.id, Mode.LIVE)
        shops.append({"name": name, "client_key": client.client_key, "client_salt": live or ""})
    pending = await merchant_repo.by_name(session, KYC_MERCHANT)
    if pending is None:
        pending = (
            await merchant_service.create(
                session, company_name=KYC_MERCHANT, webhook_url=None, kyc_status=KycStatus.DRAFT, actor="demo"
            )
        ).client
        await session.commit()
    await _seed_person(session, *KYC_OWNER, merchant_id=pending.id)
    await session.commit()
    creds["kyc_merchant_id"] = str(pending.id)
    return shops, fresh


async def _seed_person(
    session: AsyncSession,
    email: str,
    password: str,
    *,
    operator_role: str | None = None,
    merchant_id: uuid.UUID | None = None,
    role: str = "owner",
) -> None:
    if get_settings().env == "production" or await identity_repo.user_by_email(session, email):
        return
    user = User(
        email=email,
        name="Demo " + ("operator" if operator_role else f"merchant {role}"),
        password_hash=await hash_password(password),
        email_verified_at=datetime.now(UTC),
        password_changed_at=datetime.now(UTC),
        operator_role=operator_role,
    )
    session.add(user)
    await session.flush()
    if merchant_id is not None:
        session.add(MerchantMembership(user_id=user.id, client_id=merchant_id, role=role))
    audit.record(
        session,
        actor="demo",
        action="user.created",
        target_type="user",
        target_id=str(user.id),
        after={
            "email": email,
            "operator_role": operator_role,
            "merchant_id": merchant_id and str(merchant_id),
        },
    )


def banner(base: str, creds: dict[str, Any]) -> str:
    s = get_settings()
    return f"""
LightSpeedPay is running.
  Demo shop      http://127.0.0.1:{s.shop_port}   (pay with checkout.js in a browser)
  API            {base}   (OpenAPI docs: {base}/docs)
  Health         {base}/health
  PSP simulator  {s.simulator_url}
  Webhook recv.  http://127.0.0.1:{s.receiver_port}/_receiver/endpoints/demo/deliveries
  Slack alerts   http://127.0.0.1:{s.slack_standin_port}/_slack/messages   (the stand-in's recorded messages)
Operator console  {base}/admin
Merchant console  {base}/dashboard   (log in at {base}/auth/login; new merchants sign up at {base}/auth/signup)
Developer docs    {base}/developers   (quickstart, signing, webhooks, error codes)
Demo logins (the consoles' login pages, or POST {base}/api/v1/auth/login)
  operator       {DEMO_OPERATOR[0]} / {DEMO_OPERATOR[1]}   (role owner)
  merchant       {DEMO_MERCHANT_OWNER[0]} / {DEMO_MERCHANT_OWNER[1]}   (owner of "{DEMO_MERCHANT}")
                 {", ".join(f"{e} ({r})" for e, r in DEMO_MERCHANT_TEAM)}: the same password
Demo merchant "{DEMO_MERCHANT}"
  live key       client_key  {creds["client_key"]}
                 client_salt {creds["client_salt"]}
  test key       key id      {creds["test_key_id"]}   (sandbox gateways only; its data is marked test)
                 secret      {creds["test_key_secret"]}
  webhook secret {creds["webhook_secret"]}
Try a payment:   .venv/bin/python scripts/demo_pay.py [--test]   (signs POST /api/v1/pay with the demo keys)
Ctrl-C stops everything.
"""
