"""The penny-drop adapter against the PSP simulator's verifyAccount stand-in, over real HTTP: what the bank says
of an account, and a provider that refuses or fails is reported as unavailable (the job retries)."""

from __future__ import annotations

import httpx
import pytest

from lightspeedpay.gateways.simulator.payout import OTHER_HOLDERS
from lightspeedpay.kyc.verification import PayuVerifyAccount, ProviderUnavailable


async def test_the_stand_in_answers_as_payu_does(platform):
    adapter = PayuVerifyAccount(platform.simulator_url, "token", "1111594")
    found = await adapter.verify(
        account_number="50100012345678",
        ifsc="HDFC0001234",
        expected_name="Shreeji  Furnishers",
        reference="r1",
    )
    assert found.exists and found.name_at_bank == "SHREEJI FURNISHERS"
    assert found.response["status"] == 0 and found.response["data"]["accountExists"] == "YES"
    assert found.provider_ref == "r1" and found.provider_name_match == 100

    other = await adapter.verify(
        account_number="912345678901", ifsc="HDFC0001234", expected_name="Shreeji Furnishers", reference="r2"
    )
    assert other.exists and other.name_at_bank in OTHER_HOLDERS
    again = await adapter.verify(
        account_number="912345678901", ifsc="SBIN0000001", expected_name="Anyone", reference="r3"
    )
    assert again.name_at_bank == other.name_at_bank  # deterministic

    for account, ifsc in (("50100012345000", "HDFC0001234"), ("50100012345678", "HDFC1234567")):
        missing = await adapter.verify(account_number=account, ifsc=ifsc, expected_name="x", reference="r4")
        assert not missing.exists and missing.name_at_bank is None
        assert missing.response["data"]["accountExists"] == "NO"

    async with httpx.AsyncClient() as c:
        r = await c.put(f"{platform.simulator_url}/_sim/bank-accounts/777777777", json={"name": "R KUMAR"})
        assert r.status_code == 200
    registered = await adapter.verify(
        account_number="777777777", ifsc="HDFC0001234", expected_name="Ramesh Kumar", reference="r5"
    )
    assert registered.name_at_bank == "R KUMAR"


async def test_a_refusing_or_absent_provider_is_unavailable(platform):
    without_token = PayuVerifyAccount(platform.simulator_url, "token", "")  # no payoutMerchantId
    with pytest.raises(ProviderUnavailable, match="401"):
        await without_token.verify(
            account_number="50100012345678", ifsc="HDFC0001234", expected_name="x", reference="r"
        )
    from tests.net import free_port

    nobody = PayuVerifyAccount(f"http://127.0.0.1:{free_port()}", "token", "1")
    with pytest.raises(ProviderUnavailable):
        await nobody.verify(
            account_number="50100012345678", ifsc="HDFC0001234", expected_name="x", reference="r"
        )
