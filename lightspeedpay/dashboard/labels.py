"""What both consoles call a payment's and a refund's states, and the colour of each state's badge; and the words of a
KYC application (the items a reviewer may ask about, business types, the bank account check, the clarifications),
which the operator's review and the merchant's onboarding page share."""

from __future__ import annotations

from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.payments.schemas import FAILED_STATUSES, REFUNDED_STATUSES


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown (the pages' globals)."""
    return message


STATUS_LABELS: dict[str, str] = {
    TransactionStatus.CREATED: _("Created"),
    TransactionStatus.PENDING: _("Pending"),
    TransactionStatus.AUTHORIZED: _("Authorized"),
    TransactionStatus.PAID: _("Paid"),
    TransactionStatus.PARTIALLY_REFUNDED: _("Partly refunded"),
    TransactionStatus.REFUNDED: _("Refunded"),
    TransactionStatus.FAILED: _("Failed"),
    TransactionStatus.EXPIRED: _("Expired"),
}
REFUND_STATUS_LABELS: dict[str, str] = {
    "pending": _("pending"),
    "processed": _("processed"),
    "failed": _("failed"),
}


def status_badge(status: str) -> str:
    if status in (TransactionStatus.PAID, TransactionStatus.AUTHORIZED):
        return "badge-ok"
    if status in FAILED_STATUSES:
        return "badge-bad"
    if status in REFUNDED_STATUSES:
        return "badge-info"
    return "badge-warn"


# a merchant's KYC review state, its account's state, and the kinds of its dues entries
KYC_LABELS = {
    "draft": _("Draft"),
    "submitted": _("Submitted"),
    "under_review": _("Under review"),
    "needs_clarification": _("Needs clarification"),
    "activated": _("Activated"),
    "rejected": _("Rejected"),
}
ACCOUNT_STATUS_LABELS = {"active": _("Active"), "suspended": _("Suspended"), "disabled": _("Disabled")}
ENTRY_LABELS = {
    "COMMISSION": _("Commission"),
    "COMMISSION_REVERSAL": _("Commission reversed"),
    "COMMISSION_PAYOUT": _("Dues paid"),
    "ADJUSTMENT": _("Adjustment"),
}


def kyc_badge(status: str) -> str:
    if status == "activated":
        return "badge-ok"
    if status == "rejected":
        return "badge-bad"
    return "badge-warn" if status in ("submitted", "under_review", "needs_clarification") else ""


# what a reviewer may ask about (a field of the application or a document), and what an application misses
ITEM_LABELS = {
    "business_type": _("Business type"),
    "legal_name": _("Legal name"),
    "signatory_name": _("Signatory's name"),
    "business_pan": _("Business PAN"),
    "signatory_pan": _("Signatory's PAN"),
    "gstin": _("GSTIN"),
    "bank_account": _("Settlement bank account"),
    "bank_account_number": _("Settlement bank account"),
    "bank_ifsc": _("IFSC"),
    "website_url": _("Website"),
    "contact": _("Contact details"),
    "contact_name": _("Contact name"),
    "contact_email": _("Contact email"),
    "contact_phone": _("Contact phone"),
    "pan_card": _("Business PAN card"),
    "signatory_pan_card": _("Signatory's PAN card"),
    "address_proof": _("Address proof"),
    "gst_certificate": _("GST certificate"),
    "cancelled_cheque": _("Cancelled cheque"),
    "other": _("Something else"),
}
BUSINESS_TYPE_LABELS = {
    "individual": _("Individual"),
    "proprietorship": _("Sole proprietorship"),
    "partnership": _("Partnership firm"),
    "llp": _("Limited liability partnership (LLP)"),
    "private_limited": _("Private limited company"),
    "public_limited": _("Public limited company"),
    "huf": _("Hindu undivided family (HUF)"),
    "trust": _("Trust"),
    "society": _("Society"),
    "ngo": _("NGO (section 8 company)"),
    "government": _("Government body"),
}
VERIFICATION_LABELS = {
    "pending": _("Pending"),
    "verified": _("Verified"),
    "name_mismatch": _("Name does not match"),
    "invalid_account": _("Account not found"),
    "error": _("Error"),
}
REQUIREMENT_LABELS = {
    "pending": _("Waiting for the merchant"),
    "answered": _("Answered"),
    "resolved": _("Closed"),
}
