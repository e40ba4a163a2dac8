"""Every router of the HTTP API in one place; app.py includes this one."""

from fastapi import APIRouter

from lightspeedpay.alerts.admin_api import alerts_router
from lightspeedpay.alerts.admin_api import router as admin_alerts_router
from lightspeedpay.analytics.admin_api import router as admin_analytics_router
from lightspeedpay.analytics.api import router as analytics_router
from lightspeedpay.checkout.api import router as checkout_router
from lightspeedpay.dashboard.admin import router as admin_console_router
from lightspeedpay.dashboard.merchant import router as merchant_console_router
from lightspeedpay.devdocs.api import router as devdocs_router
from lightspeedpay.devtools.api import router as test_helpers_router
from lightspeedpay.gateways.admin_api import router as admin_gateways_router
from lightspeedpay.kyc.admin_api import router as admin_kyc_router
from lightspeedpay.kyc.api import router as kyc_router
from lightspeedpay.ledger.admin_api import router as admin_ledger_router
from lightspeedpay.merchants.admin_api import router as admin_merchants_router
from lightspeedpay.merchants.api import router as wallet_router
from lightspeedpay.merchants.credentials_api import router as credentials_router
from lightspeedpay.merchants.settings_api import router as account_settings_router
from lightspeedpay.monitoring.admin_api import router as admin_monitoring_router
from lightspeedpay.monitoring.admin_api import system_router
from lightspeedpay.monitoring.api import router as monitoring_router
from lightspeedpay.monitoring.audit_api import router as admin_audit_router
from lightspeedpay.notifications.api import admin_router as admin_whatsapp_router
from lightspeedpay.notifications.api import router as whatsapp_router
from lightspeedpay.payments.api import router as payments_router
from lightspeedpay.people.admin_api import admin_router as admin_users_router
from lightspeedpay.people.admin_api import merchant_team_router as admin_merchant_team_router
from lightspeedpay.people.api import merchant_router as merchant_team_router
from lightspeedpay.people.api import router as account_router
from lightspeedpay.people.login_api import router as auth_router
from lightspeedpay.psp_events.api import router as psp_router
from lightspeedpay.queue_admin.api import router as admin_queues_router
from lightspeedpay.razorpay_compat.api import router as razorpay_router
from lightspeedpay.refunds.admin_api import router as admin_refunds_router
from lightspeedpay.refunds.api import router as refunds_router
from lightspeedpay.reports.admin_api import router as admin_reports_router
from lightspeedpay.settlements.admin_api import router as admin_settlements_router
from lightspeedpay.settlements.api import router as settlements_router
from lightspeedpay.streams.api import admin_router as admin_streams_router
from lightspeedpay.streams.api import merchant_router as merchant_streams_router
from lightspeedpay.usage.admin_api import router as admin_usage_router
from lightspeedpay.usage.api import router as usage_router
from lightspeedpay.webhooks.api import router as merchant_webhooks_router

router = APIRouter()
# in the order app.py included them before, so the OpenAPI document keeps its order
for _router in (
    payments_router,
    refunds_router,
    razorpay_router,
    psp_router,
    monitoring_router,
    admin_gateways_router,
    wallet_router,
    settlements_router,
    whatsapp_router,
    admin_ledger_router,
    admin_merchants_router,
    admin_settlements_router,
    admin_whatsapp_router,
    checkout_router,
    merchant_webhooks_router,
    admin_alerts_router,
    alerts_router,
    admin_queues_router,
    test_helpers_router,
    system_router,
    admin_monitoring_router,
    admin_reports_router,
    admin_audit_router,
    admin_streams_router,
    merchant_streams_router,
    analytics_router,
    admin_analytics_router,
    account_router,
    admin_users_router,
    admin_merchant_team_router,
    merchant_team_router,
    usage_router,
    admin_usage_router,
    auth_router,
    kyc_router,
    admin_kyc_router,
    credentials_router,
    admin_refunds_router,
    admin_console_router,
    merchant_console_router,
    devdocs_router,
    account_settings_router,
):
    router.include_router(_router)
