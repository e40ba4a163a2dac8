"""The merchant's console at /dashboard/{test|live}/..., and the account pages at /auth/... (login, signup, email
confirmation, password reset, invitations): every page router, with the request's language and zone set first."""

from fastapi import APIRouter, Depends

from lightspeedpay.dashboard.merchant.account import router as account_router
from lightspeedpay.dashboard.merchant.developers import router as developers_router
from lightspeedpay.dashboard.merchant.home import router as home_router
from lightspeedpay.dashboard.merchant.money import router as money_router
from lightspeedpay.dashboard.merchant.onboarding import router as onboarding_router
from lightspeedpay.dashboard.merchant.payments import router as payments_router
from lightspeedpay.dashboard.web import use_preferences

router = APIRouter(include_in_schema=False, dependencies=[Depends(use_preferences)])
for _router in (
    account_router,
    home_router,
    onboarding_router,
    payments_router,
    money_router,
    developers_router,
):
    router.include_router(_router)
