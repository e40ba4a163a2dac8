"""The operator's console at /admin: every page router, with the request's language and zone set first."""

from fastapi import APIRouter, Depends

from lightspeedpay.dashboard.admin.account import router as account_router
from lightspeedpay.dashboard.admin.alerts import router as alerts_router
from lightspeedpay.dashboard.admin.analytics import router as analytics_router
from lightspeedpay.dashboard.admin.audit import router as audit_router
from lightspeedpay.dashboard.admin.commission import router as commission_router
from lightspeedpay.dashboard.admin.gateways import router as gateways_router
from lightspeedpay.dashboard.admin.kyc import router as kyc_router
from lightspeedpay.dashboard.admin.merchants import router as merchants_router
from lightspeedpay.dashboard.admin.overview import router as overview_router
from lightspeedpay.dashboard.admin.payments import router as payments_router
from lightspeedpay.dashboard.admin.queues import router as queues_router
from lightspeedpay.dashboard.admin.settlements import router as settlements_router
from lightspeedpay.dashboard.admin.system import router as system_router
from lightspeedpay.dashboard.admin.users import router as users_router
from lightspeedpay.dashboard.admin.whatsapp import router as whatsapp_router
from lightspeedpay.dashboard.web import use_preferences

router = APIRouter(include_in_schema=False, dependencies=[Depends(use_preferences)])
for _router in (
    account_router,
    overview_router,
    payments_router,
    gateways_router,
    queues_router,
    merchants_router,
    kyc_router,
    users_router,
    commission_router,
    settlements_router,
    whatsapp_router,
    audit_router,
    alerts_router,
    system_router,
    analytics_router,
):
    router.include_router(_router)
