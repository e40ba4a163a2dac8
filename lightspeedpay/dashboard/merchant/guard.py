"""Who a merchant console page acts for: the logged-in person's merchant, in the mode of the page's path
(`/dashboard/test/...` or `/dashboard/live/...`), through the same authentication and permission checks as the
merchant API (`identity.deps.authenticate_merchant` with the mode and merchant the console chose)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Depends, Request

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.dashboard import web
from lightspeedpay.errors import NotFound
from lightspeedpay.identity.deps import MerchantPermission, authenticate_merchant

MERCHANT_COOKIE = "lsp_merchant"  # which of a person's merchants the console shows (several teams: rare)


class PageNotFound(NotFound):
    code = "NOT_FOUND"


def use_mode(request: Request) -> str:
    """The mode of the page's path, for the merchant resolution below (an unknown one is a missing page)."""
    mode = request.path_params.get("mode", "test")  # /dashboard itself: any mode answers who is logged in
    if mode not in web.MODES:
        raise PageNotFound(
            "There is no such page: the console's pages are under /dashboard/test or /dashboard/live."
        )
    request.state.console_mode = mode
    chosen = request.cookies.get(MERCHANT_COOKIE)
    if chosen:
        try:
            request.state.console_merchant = str(uuid.UUID(chosen))
        except ValueError:
            pass  # a mangled cookie: the person's only merchant, or the API's own question
    return mode


class MerchantPage(MerchantPermission):
    """A page's guard: the mode from the path, then the merchant API's own person and permission checks (a
    MerchantPermission, so the route-permission tests read the permission it declares)."""

    async def __call__(self, request: Request) -> MerchantAuth:  # type: ignore[override]
        use_mode(request)
        found = await authenticate_merchant(request)
        who = f"Your role ({found.role})" if found.role else "An API credential"
        self.check(request.method, found.permissions, who)
        request.state.console_viewer = found
        return found


def merchant_page(permission: str) -> Any:
    return Depends(MerchantPage(permission=permission))
