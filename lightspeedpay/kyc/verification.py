"""Bank account verification by penny drop: an adapter interface, and the implementation that calls a PayU-style
`verifyAccount` over HTTP (the PSP simulator's stand-in in development and tests; the provider's URL and token in
production). The adapter only reports what the bank said; judging the name is the service's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import httpx

from lightspeedpay.config import get_settings
from lightspeedpay.kit import http


@dataclass(frozen=True)
class AccountCheck:
    """What the bank said of an account: it exists (under `name_at_bank`) or not; `response` is the provider's
    whole answer, kept for the reviewer."""

    exists: bool
    name_at_bank: str | None
    provider_ref: str | None
    provider_name_match: Decimal | None
    response: dict[str, Any]


class ProviderUnavailable(Exception):
    """The provider did not give an answer (network, 5xx, a malformed reply): the job retries."""


class BankAccountVerifier(Protocol):
    name: str

    async def verify(
        self, *, account_number: str, ifsc: str, expected_name: str, reference: str
    ) -> AccountCheck: ...


class PayuVerifyAccount:
    """PayU Payouts' `POST /payout/payment/verifyAccount` (form-encoded; `Authorization: Bearer`,
    `payoutMerchantId`): `data.accountExists` YES/NO, `data.beneficiaryName`, `data.nameMatch`."""

    name = "payu_verify_account"

    def __init__(self, base_url: str, token: str, merchant_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.merchant_id = merchant_id

    async def verify(
        self, *, account_number: str, ifsc: str, expected_name: str, reference: str
    ) -> AccountCheck:
        form = {
            "accountNumber": account_number,
            "ifscCode": ifsc,
            "merchantRefId": reference,
            "validateIfsc": "true",
            "beneName": expected_name,
            "nameMatching": "true",
            "purpose": "KYC",
        }
        headers = {"Authorization": f"Bearer {self.token}", "payoutMerchantId": self.merchant_id}
        try:
            resp = await http.client().post(
                f"{self.base_url}/payout/payment/verifyAccount", data=form, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{type(exc).__name__}: {exc}") from None
        if resp.status_code >= 500 or resp.status_code in (401, 403, 429):
            raise ProviderUnavailable(f"HTTP {resp.status_code}")
        try:
            body = resp.json()
            data = body.get("data") or {}
        except (ValueError, AttributeError):
            raise ProviderUnavailable(f"HTTP {resp.status_code}: not JSON") from None
        exists = str(data.get("accountExists", "")).upper()
        if exists == "VERIFICATION_PENDING" or (resp.status_code == 200 and exists not in ("YES", "NO")):
            raise ProviderUnavailable(f"no answer yet ({exists or 'empty'})")
        if exists != "YES":
            return AccountCheck(False, None, _ref(body), None, body)
        try:
            score = Decimal(str(data["nameMatch"])) if data.get("nameMatch") is not None else None
        except InvalidOperation:
            score = None
        name = str(data.get("beneficiaryName") or "").strip() or None
        return AccountCheck(True, name, _ref(body), score, body)


def _ref(body: dict[str, Any]) -> str | None:
    data = body.get("data") or {}
    ref = data.get("verificationId") or data.get("merchantRefId")
    return str(ref)[:100] if ref else None


def bank_account_verifier() -> BankAccountVerifier:
    s = get_settings()
    return PayuVerifyAccount(
        s.kyc_penny_drop_url or s.simulator_url, s.kyc_penny_drop_token, s.kyc_penny_drop_merchant_id
    )
