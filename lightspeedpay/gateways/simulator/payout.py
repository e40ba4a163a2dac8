"""A stand-in for PayU Payouts' bank account verification (penny drop): `POST /payout/payment/verifyAccount`
answers the name the bank holds for an account number and IFSC, as PayU's does, so KYC can be tried end to end.

The bank's answers are deterministic:
- an account number ending in 000 does not exist (`accountExists: NO`), nor does any account at an IFSC that is
  not one (4 letters, '0', 6 letters or digits);
- an account number starting with 9 is held by someone else: a name from a fixed list, chosen by the number;
- any other account is held in the name the request gave (`beneName`), in capitals as banks write it;
- `PUT /_sim/bank-accounts/{account_number}` {"name": ...} registers the holder of an account (tests use it to
  give the bank a name close to, but not the same as, the business's); `DELETE` forgets it.
"""

from __future__ import annotations

import difflib
import re
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lightspeedpay.gateways.simulator import web

router = APIRouter()

_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_ACCOUNT = re.compile(r"^[0-9]{6,20}$")
OTHER_HOLDERS = (
    "RAJESH KUMAR",
    "SUNITA DEVI",
    "MOHAMMED IRFAN",
    "LAKSHMI ENTERPRISES",
    "GREEN VALLEY TRADERS",
    "ANAND STEEL WORKS",
    "PRIYA SHARMA",
)


def holder_of(account_number: str, bene_name: str, registered: dict[str, str]) -> str | None:
    if account_number in registered:
        return registered[account_number]
    if account_number.endswith("000"):
        return None
    if account_number.startswith("9"):
        return OTHER_HOLDERS[int(account_number) % len(OTHER_HOLDERS)]
    return " ".join(bene_name.upper().split()) or "ACCOUNT HOLDER"


def _registered(request: Request) -> dict[str, str]:
    return web.sim(request).bank_accounts


def _error(status: int, msg: str, code: str) -> JSONResponse:
    return JSONResponse({"status": 1, "msg": msg, "code": code, "data": None}, status_code=status)


@router.post("/payout/payment/verifyAccount")
async def verify_account(request: Request) -> Response:
    if not request.headers.get("authorization", "").startswith("Bearer ") or not request.headers.get(
        "payoutMerchantId"
    ):
        return _error(401, "Unauthorized: send Authorization: Bearer <token> and payoutMerchantId", "401")
    fields = await web.form_fields(request)
    account = fields.get("accountNumber", "").strip()
    ifsc = fields.get("ifscCode", "").strip().upper()
    if not account or not ifsc:
        return _error(400, "accountNumber and ifscCode are mandatory", "E400")
    reference = fields.get("merchantRefId") or secrets.token_hex(8)
    holder = None
    if _ACCOUNT.match(account) and _IFSC.match(ifsc):
        holder = holder_of(account, fields.get("beneName", ""), _registered(request))
    data: dict[str, Any]
    if holder is None:
        data = {
            "accountExists": "NO",
            "beneficiaryName": None,
            "nameMatch": None,
            "status": "Failed",
            "error": "Invalid IFSC" if not _IFSC.match(ifsc) else "Account does not exist",
            "merchantRefId": reference,
        }
    else:
        bene = " ".join(fields.get("beneName", "").upper().split())
        match = round(difflib.SequenceMatcher(None, bene, holder).ratio() * 100, 2) if bene else None
        data = {
            "accountExists": "YES",
            "beneficiaryName": holder,
            "nameMatch": match,
            "status": "Success",
            "error": "",
            "merchantRefId": reference,
        }
    return JSONResponse({"status": 0, "msg": None, "code": None, "data": data})


@router.put("/_sim/bank-accounts/{account_number}")
async def register_account(account_number: str, request: Request) -> JSONResponse:
    body = await request.json()
    _registered(request)[account_number] = str(body["name"])
    return JSONResponse({"account_number": account_number, "name": body["name"]})


@router.delete("/_sim/bank-accounts/{account_number}")
async def forget_account(account_number: str, request: Request) -> Response:
    _registered(request).pop(account_number, None)
    return Response(status_code=204)
