"""Seed 002's test helpers, served only outside production (404 there, as for a path that does not exist):
`GET /api/v1/test/jobs/status` (the queues at a glance) and `GET /api/v1/test/merchant` (the demo merchant's
keys, for trying the API by hand)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from lightspeedpay.config import get_settings
from lightspeedpay.devtools import demo
from lightspeedpay.errors import HttpError, NotFound
from lightspeedpay.queue_admin.schemas import DemoMerchant, JobsStatus
from lightspeedpay.queue_admin.service import queue_admin_service
from lightspeedpay.sessions import ReadSession


async def not_in_production() -> None:
    # read per request, not when the router is built: the same app object never serves them in production
    if get_settings().env == "production":
        raise HttpError(404, "Not Found")


router = APIRouter(
    prefix="/api/v1/test",
    tags=["test helpers (not in production)"],
    dependencies=[Depends(not_in_production)],
)


@router.get(
    "/jobs/status",
    response_model=JobsStatus,
    responses={404: {"description": "NOT_FOUND in production"}},
    summary="Job intents pending, completed and failed, jobs running now, and whether workers run",
)
async def jobs_status(session: ReadSession) -> JobsStatus:
    return await queue_admin_service.jobs_status(session)


@router.get(
    "/merchant",
    response_model=DemoMerchant,
    responses={404: {"description": "NOT_FOUND: in production, or no demo merchant yet"}},
    summary="The demo merchant's test credentials (made by `lightspeedpay up`)",
)
async def demo_merchant(session: ReadSession) -> DemoMerchant:
    creds = await demo.credentials(session)
    if creds is None:
        raise NotFound(
            f'There is no demo merchant ("{demo.DEMO_MERCHANT}") yet; `lightspeedpay up` creates it.'
        )
    return DemoMerchant.model_validate(creds)


__all__ = ["router"]
