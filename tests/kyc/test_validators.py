"""The identifier rules, without the platform: PAN and its holder type, the GSTIN check character against real
GSTINs, IFSC and account numbers, the name match, and what a document is by its bytes."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightspeedpay.kyc.validators import (
    DocumentRefused,
    InvalidIdentifier,
    check_account_number,
    check_gstin,
    check_ifsc,
    check_pan,
    gstin_check_character,
    inspect_document,
    name_match_score,
)
from tests.kyc.support import docx, jpeg, pdf, png, zip_archive

# GSTINs published by their holders (on invoices and the GST portal) and GSTN's own documented example; each
# passes the check, which a 15-character string with a random last character would one time in 36
REAL_GSTINS = [
    "27AAPFU0939F1ZV",  # GSTN's example GSTIN (a firm: F), Maharashtra
    "27AAACT2727Q1ZW",  # Tata Consultancy Services Ltd, Maharashtra
    "29AACCF0683K1ZD",  # Flipkart Internet Pvt Ltd, Karnataka
    "27AAACR5055K1Z7",  # Reliance Industries Ltd, Maharashtra
    "29AAICA3918J1ZE",  # Amazon Seller Services Pvt Ltd, Karnataka
]


def _code(exc: pytest.ExceptionInfo[InvalidIdentifier]) -> str:
    return str(exc.value.body()["error"]["code"])


@pytest.mark.parametrize("gstin", REAL_GSTINS)
def test_real_gstins_pass_and_their_check_character_is_computed(gstin):
    assert gstin_check_character(gstin[:14]) == gstin[14]
    assert check_gstin(gstin.lower()) == gstin
    assert check_gstin(f" {gstin[:2]} {gstin[2:7]}-{gstin[7:]} ") == gstin  # spaces and dashes as people type


@pytest.mark.parametrize("gstin", REAL_GSTINS)
def test_any_other_check_character_is_refused(gstin):
    for wrong in (c for c in string.digits + string.ascii_uppercase if c != gstin[14]):
        with pytest.raises(InvalidIdentifier) as exc:
            check_gstin(gstin[:14] + wrong)
        assert _code(exc) == "GSTIN_CHECKSUM_MISMATCH"


def test_gstin_shape_state_and_pan():
    for bad in ("27AAPFU0939F1Z", "27AAPFU0939F1XV", "AAAPFU0939F1ZVV", "27AAPFU0939F0ZV", "27AAPXU0939F1ZV"):
        with pytest.raises(InvalidIdentifier) as exc:
            check_gstin(bad)
        assert _code(exc) == "INVALID_GSTIN", bad
    with pytest.raises(InvalidIdentifier) as exc:
        check_gstin("72AAPFU0939F1ZV")  # no state 72
    assert _code(exc) == "INVALID_GSTIN"
    assert check_gstin("27AAPFU0939F1ZV", pan="AAPFU0939F")
    with pytest.raises(InvalidIdentifier) as exc:
        check_gstin("27AAACT2727Q1ZW", pan="AAPFU0939F")
    assert _code(exc) == "GSTIN_PAN_MISMATCH"


@given(st.text(alphabet=string.digits + string.ascii_uppercase, min_size=14, max_size=14))
def test_one_character_changed_is_always_caught(first14):
    """Luhn mod 36 catches every single-character error: a GSTIN with one character changed fails its check."""
    gstin = first14 + gstin_check_character(first14)
    for i in range(14):
        for c in "0A":
            if c != gstin[i]:
                changed = gstin[:i] + c + gstin[i + 1 :]
                assert gstin_check_character(changed[:14]) != changed[14]


def test_pan_format_and_holder_type():
    assert check_pan("aapfu0939f", field="business_pan", business_type="partnership") == "AAPFU0939F"
    assert check_pan("AAACT2727Q", field="business_pan", business_type="public_limited") == "AAACT2727Q"
    assert check_pan("ABCPE1234F", field="business_pan", business_type="proprietorship") == "ABCPE1234F"
    for bad in ("AAPFU0939", "AAPFU09399", "1APFU0939F", "AAPXU0939F", "AAPFU0000F"):
        with pytest.raises(InvalidIdentifier) as exc:
            check_pan(bad, field="business_pan")
        assert _code(exc) == "INVALID_PAN", bad
    with pytest.raises(InvalidIdentifier) as exc:
        check_pan("AAACT2727Q", field="business_pan", business_type="partnership")  # a company's PAN
    assert _code(exc) == "PAN_HOLDER_TYPE_MISMATCH" and exc.value.field == "business_pan"
    with pytest.raises(InvalidIdentifier) as exc:
        check_pan("AAPFU0939F", field="signatory_pan", person=True)  # a firm cannot sign
    assert _code(exc) == "PAN_HOLDER_TYPE_MISMATCH"


@given(st.from_regex(r"\A[A-Z]{5}[0-9]{4}[A-Z]\Z"))
def test_every_well_formed_pan_is_judged_by_its_fourth_character(pan):
    try:
        check_pan(pan, field="business_pan")
    except InvalidIdentifier:
        assert pan[3] not in "PCHFATBLJG" or pan[5:9] == "0000"
    else:
        assert pan[3] in "PCHFATBLJG"


def test_ifsc_and_account_number():
    assert check_ifsc("hdfc0001234") == "HDFC0001234"
    assert check_ifsc("SBIN0ABC123") == "SBIN0ABC123"
    for bad in ("HDFC1001234", "HDF00001234", "HDFC000123", "HDFC00012345"):
        with pytest.raises(InvalidIdentifier) as exc:
            check_ifsc(bad)
        assert _code(exc) == "INVALID_IFSC"
    assert check_account_number("5010 0012 3456 78") == "50100012345678"
    for bad in ("12345678", "1" * 19, "12345678A"):
        with pytest.raises(InvalidIdentifier):
            check_account_number(bad)


def test_name_match():
    assert name_match_score("Sharma Traders Private Limited", "M/S SHARMA TRADERS PVT LTD") == 100
    assert name_match_score("Ramesh Kumar", "KUMAR R") == 100
    assert name_match_score("Shreeji Furnishers", "SHREEJI FURNISHING HOUSE") < 80
    assert name_match_score("Acme Infotech Pvt Ltd", "RAJESH KUMAR") == 0
    assert name_match_score("", "ANYONE") == 0


@given(st.text(max_size=60), st.text(max_size=60))
def test_name_match_is_symmetric_and_bounded(a, b):
    score = name_match_score(a, b)
    assert 0 <= score <= 100 and score == name_match_score(b, a)


def test_documents_by_content():
    assert inspect_document(pdf(), filename="pan.pdf", declared_type="application/pdf") == "application/pdf"
    assert inspect_document(png(), filename="pan.png", declared_type="image/png") == "image/png"
    assert (
        inspect_document(jpeg(), filename="pan.JPEG", declared_type="application/octet-stream")
        == "image/jpeg"
    )
    assert inspect_document(png(), filename="scan", declared_type=None) == "image/png"
    refused = {
        "zip": (zip_archive(), "pan.pdf", "application/pdf", "UNSUPPORTED_DOCUMENT_TYPE"),
        "docx": (docx(), "pan.pdf", "application/pdf", "UNSUPPORTED_DOCUMENT_TYPE"),
        "polyglot": (pdf() + zip_archive(), "pan.pdf", "application/pdf", "UNSUPPORTED_DOCUMENT_TYPE"),
        "png named pdf": (png(), "pan.pdf", "application/pdf", "DOCUMENT_TYPE_MISMATCH"),
        "png declared pdf": (png(), "pan", "application/pdf", "DOCUMENT_TYPE_MISMATCH"),
        "cut short": (pdf()[:-10], "pan.pdf", "application/pdf", "DOCUMENT_DAMAGED"),
        "html": (
            b"<html><script>alert(1)</script></html>",
            "pan.pdf",
            "application/pdf",
            "UNSUPPORTED_DOCUMENT_TYPE",
        ),
        "empty": (b"", "pan.pdf", None, "EMPTY_DOCUMENT"),
    }
    for name, (content, filename, declared, code) in refused.items():
        with pytest.raises(DocumentRefused) as exc:
            inspect_document(content, filename=filename, declared_type=declared)
        assert exc.value.body()["error"]["code"] == code, name
        assert exc.value.status_code == 422
