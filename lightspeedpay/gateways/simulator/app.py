"""The simulator's ASGI app: PSP routers plus a small admin API for accounts and test modes."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lightspeedpay.config import get_settings
from lightspeedpay.gateways.simulator import faults, payout, payu, phonepe, razorpay, sandbox, web
from lightspeedpay.gateways.simulator.state import Account, SimulatorState


def create_app(accounts_file: str | None = None) -> FastAPI:
    app = FastAPI(title="LightSpeedPay PSP simulator", docs_url=None, redoc_url=None)
    app.state.sim = SimulatorState(accounts_file or get_settings().simulator_accounts_file)
    app.include_router(sandbox.router)
    app.include_router(razorpay.router)
    app.include_router(payu.router)
    app.include_router(payout.router)
    app.include_router(phonepe.router)
    app.include_router(faults.router)
    app.include_router(web.router)

    @app.get("/_sim/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.put("/_sim/accounts/{key_id}")
    async def put_account(key_id: str, request: Request) -> JSONResponse:
        body = await request.json()
        body["key_id"] = key_id
        known = {f for f in Account.__dataclass_fields__}
        account = Account(**{k: v for k, v in body.items() if k in known})
        app.state.sim.upsert_account(account)
        return JSONResponse({"key_id": key_id, "provider": account.provider})

    @app.put("/_sim/accounts/{key_id}/mode")
    async def put_mode(key_id: str, request: Request) -> JSONResponse:
        state: SimulatorState = app.state.sim
        account = state.account(key_id)
        if account is None:
            return JSONResponse({"error": {"code": "NOT_FOUND", "description": "no such account"}}, 404)
        body = await request.json()
        account.auto_outcome = body.get("auto_outcome")
        account.delay_ms = int(body.get("delay_ms", 0))
        state.upsert_account(account)
        return JSONResponse(
            {"key_id": key_id, "auto_outcome": account.auto_outcome, "delay_ms": account.delay_ms}
        )

    @app.get("/_sim/orders")
    async def orders(receipt: str | None = None) -> JSONResponse:
        found = [asdict(o) for o in app.state.sim.orders.values() if receipt is None or o.receipt == receipt]
        return JSONResponse(found)

    return app


app = create_app
