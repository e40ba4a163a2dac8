"""The merchant console's Getting-started page (`/dashboard/{mode}/onboarding`): a new merchant's way from signup to
live, in five steps: the email confirmed, the test keys, a test payment run end to end on the sandbox (its webhook
deliveries shown as they arrive), the business details and documents of KYC with the operator's clarifications to
answer, and live keys once approved.

Each action calls the service its JSON API route calls: the test payment `payment_service.initiate` as
`POST /api/v1/pay` does for the merchant in test mode, KYC `kyc_service` as `/api/v1/merchant/kyc*` does. The
payer's choice on the sandbox is posted to the PSP's own hosted page (`checkout_url`), with no database transaction
open during the call; the sandbox then tells the platform by its signed webhook, as for any payment."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from lightspeedpay.auth.principal import MerchantAuth
from lightspeedpay.config import get_settings
from lightspeedpay.dashboard import errors, forms, i18n, web
from lightspeedpay.dashboard.merchant.guard import merchant_page
from lightspeedpay.errors import AppError, Conflict, ValidationFailed
from lightspeedpay.gateways.service import gateway_service
from lightspeedpay.kit import http
from lightspeedpay.kyc.api import document_body_limit
from lightspeedpay.kyc.schemas import KycApplicationOut, KycApplicationUpdate, RequirementAnswer
from lightspeedpay.kyc.service import EDITABLE, REQUIRED_DOCUMENTS, KycIncomplete, kyc_service
from lightspeedpay.kyc.views import application_out, download
from lightspeedpay.merchants.credentials import credential_service
from lightspeedpay.models import Transaction
from lightspeedpay.models.api_credential import Mode
from lightspeedpay.models.base import values
from lightspeedpay.models.client import KycStatus
from lightspeedpay.models.kyc_application import BusinessType
from lightspeedpay.models.kyc_document import DocumentKind
from lightspeedpay.models.transaction import TransactionStatus
from lightspeedpay.models.webhook_event import WebhookEventStatus
from lightspeedpay.payments.errors import PspUnavailable
from lightspeedpay.payments.schemas import PayRequest, TransactionFilter
from lightspeedpay.payments.service import payment_service
from lightspeedpay.sessions import ReadSession, WriteSession
from lightspeedpay.webhooks.endpoint_service import endpoint_service
from lightspeedpay.webhooks.service import webhook_service

router = APIRouter()
_ = web._lazy
Reader = Annotated[MerchantAuth, merchant_page("kyc:read")]
Writer = Annotated[MerchantAuth, merchant_page("kyc:write")]
PaymentReader = Annotated[MerchantAuth, merchant_page("payments:read")]
PaymentWriter = Annotated[MerchantAuth, merchant_page("payments:write")]

PAGE = "/dashboard/{mode}/onboarding"
# a test payment is made in test mode whichever mode the page is read in: its routes name that mode
TEST_PAYMENT = "/dashboard/test/onboarding/test-payment"
DEFAULT_TEST_AMOUNT = 100_00
# the payer's choices on the sandbox's hosted page, as the console offers them
PAYER_OUTCOMES = ("success", "failure")
# a payment and its webhooks are followed live for this long; later retries show on reload
FOLLOW_FOR = timedelta(minutes=10)
FIELDS = (
    "business_type",
    "legal_name",
    "signatory_name",
    "business_pan",
    "signatory_pan",
    "gstin",
    "bank_account_number",
    "bank_ifsc",
    "website_url",
    "contact_name",
    "contact_email",
    "contact_phone",
)

# the page's notices after an action (the `done` of the address a form without JavaScript returns to)
DONE = {
    "kyc_saved": _("Your business details are saved."),
    "document_uploaded": _("The document is uploaded."),
    "submitted": _("Submitted for review. We email you when it is decided."),
    "answered": _("Your answer is sent. Submit the application again once every question is answered."),
}
# KYC's refusals in the person's words (the service's English message, which names the exact field, follows)
KYC_MESSAGES = {
    "KYC_NOT_EDITABLE": _(
        "Your application is with our team now; it can be changed only if they ask you to."
    ),
    "KYC_INVALID_TRANSITION": _("That cannot be done in the application's present state. Reload the page."),
    "KYC_INCOMPLETE": _("The application is not complete yet. Still needed:"),
    "KYC_CLARIFICATIONS_PENDING": _("Answer every question from our team before submitting again."),
    "DOCUMENT_TOO_LARGE": _("The file is larger than 5 MB."),
    "PAYLOAD_TOO_LARGE": _("The file is larger than 5 MB."),
    "UNSUPPORTED_DOCUMENT_TYPE": _("Upload a PDF, JPEG or PNG file."),
    "DOCUMENT_TYPE_MISMATCH": _(
        "The file's contents do not match its name or type. Upload a PDF, JPEG or PNG."
    ),
    "DOCUMENT_DAMAGED": _("The file looks damaged. Scan or save it again and upload it."),
    "NO_SANDBOX_GATEWAY": _(
        "The sandbox is not available right now, so test payments cannot start. Try later."
    ),
    "PAYMENT_NOT_AWAITING_PAYER": _("This payment is no longer waiting for the payer."),
    "PSP_UNAVAILABLE": _("The sandbox did not answer. Try again in a moment."),
}
# what is wrong with a field, said next to it in the person's language (in English, the API's own message says it
# more exactly: it names the expected holder type, the PAN a GSTIN belongs to …)
FIELD_MESSAGES = {
    "INVALID_PAN": _("This is not a PAN: 5 letters, 4 digits, then a letter."),
    "PAN_HOLDER_TYPE_MISMATCH": _("This PAN's holder type (its 4th letter) does not fit here."),
    "INVALID_GSTIN": _("This is not a GSTIN: 15 characters, a state code and the PAN first."),
    "GSTIN_CHECKSUM_MISMATCH": _(
        "The GSTIN's last character does not match the rest: check it for a typing mistake."
    ),
    "GSTIN_PAN_MISMATCH": _("This GSTIN belongs to another PAN than the business PAN."),
    "INVALID_IFSC": _("This is not an IFSC: 4 letters, a zero, then 6 letters or digits."),
    "INVALID_BANK_ACCOUNT": _("An account number has 9 to 18 digits, without spaces or letters."),
    "INVALID_WEBSITE_URL": _("Give the whole address of your website or app page, starting with https://."),
    "VALIDATION_ERROR": _("Check this field: it is not in the form expected."),
}
BUSINESS_TYPES = tuple(values(BusinessType))
DOCUMENT_KINDS = tuple(values(DocumentKind))


class NotAwaitingPayer(Conflict):
    code = "PAYMENT_NOT_AWAITING_PAYER"


def _message(exc: AppError) -> str:
    code = getattr(exc, "error_code", exc.code)  # an identifier's own code (INVALID_PAN …) names its field
    known = KYC_MESSAGES.get(code)
    return i18n.gettext(known) if known else errors.message_for(exc)


def _named(exc: AppError) -> str:
    """The API's message with the field it starts with called by its label (business_pan: Business PAN)."""
    if exc.field and exc.message.startswith(exc.field):
        return web.item_label(exc.field) + exc.message[len(exc.field) :]
    return exc.message


def _refusal(exc: AppError, where: str) -> dict[str, Any]:
    """A refusal as the page shows it, by the form it came from (`where`) and next to the field it names."""
    code = getattr(exc, "error_code", exc.code)
    english = i18n.current().language == i18n.DEFAULT_LANGUAGE
    field_message = FIELD_MESSAGES.get(code, FIELD_MESSAGES["VALIDATION_ERROR"])
    return {
        "where": where,
        "message": _message(exc),
        "code": code,
        "detail": exc.message,
        "field": exc.field,
        "field_message": _named(exc) if english else i18n.gettext(field_message),
        "field_detail": None if english else _named(exc),
        "missing": exc.missing if isinstance(exc, KycIncomplete) else None,
    }


# ---- what the page shows ----------------------------------------------------------------------------------------


async def _test_payment(
    session: AsyncSession, merchant: MerchantAuth, frame: web.Frame, payment_id: str | None
) -> dict[str, Any]:
    """The test payment the page follows (the one named, else the newest in test mode) with its merchant
    events and their delivery attempts, and whether it is still worth following live."""
    txn: Transaction | None = None
    if payment_id:
        txn = await payment_service.find(session, merchant, payment_id)
    else:
        rows, _next = await payment_service.list(session, merchant, TransactionFilter(), limit=1, cursor=None)
        txn = rows[0] if rows else None
    events: list[Any] = []
    endpoints: list[Any] = []
    if frame.can("webhooks:read"):
        endpoints = await endpoint_service.list_for_merchant(session, merchant)
        if txn is not None:
            events = await webhook_service.events_of_transaction(session, txn.id)
    waiting = txn is not None and (
        txn.status in (TransactionStatus.CREATED, TransactionStatus.PENDING)
        or any(event.status == WebhookEventStatus.PENDING for event, _attempts in events)
    )
    recent = txn is not None and datetime.now(UTC) - txn.created_at < FOLLOW_FOR
    return {
        "txn": txn,
        "events": events,
        "endpoints": endpoints,
        "follow": waiting and recent,
        "payer_outcomes": PAYER_OUTCOMES,
    }


def _steps(
    merchant: MerchantAuth, a: KycApplicationOut, *, keys_ready: bool, paid_test: bool
) -> list[dict[str, Any]]:
    status = a.kyc_status
    return [
        {"key": "email", "label": _("Confirm your email address"), "done": merchant.email_verified},
        {"key": "keys", "label": _("Get your test keys"), "done": keys_ready},
        {"key": "test-payment", "label": _("Make a test payment"), "done": paid_test},
        {
            "key": "kyc",
            "label": _("Submit your business details (KYC)"),
            "done": status not in (KycStatus.DRAFT, KycStatus.NEEDS_CLARIFICATION),
        },
        {"key": "live", "label": _("Go live"), "done": status == KycStatus.ACTIVATED},
    ]


async def _context(
    session: AsyncSession, merchant: MerchantAuth, frame: web.Frame, **extra: Any
) -> dict[str, Any]:
    a = application_out(await kyc_service.view(session, merchant.id))
    keys: dict[str, Any] = {}
    if frame.can("credentials:read"):
        for credential, secrets_ in await credential_service.listing(session, merchant.id):
            current = next((s for s in secrets_ if s.expires_at is None), None)
            keys[credential.mode] = {
                "key_id": credential.key_id,
                "secret_last4": current.last4 if current else None,
            }
    test_key = keys.get(Mode.TEST)
    keys_ready = bool(test_key and test_key["secret_last4"]) if test_key else merchant.email_verified
    payment: dict[str, Any] | None = None
    paid_test = False
    if frame.can("payments:read"):
        if merchant.mode == Mode.TEST:
            payment = await _test_payment(session, merchant, frame, None)
        # the step is done once a test payment was paid, whichever mode the page is read in
        in_test = replace(merchant, mode=Mode.TEST)
        paid, _next = await payment_service.list(
            session, in_test, TransactionFilter(status=TransactionStatus.PAID), limit=1, cursor=None
        )
        paid_test = bool(paid)
    editable = a.kyc_status in EDITABLE and frame.can("kyc:write")
    pending = [r for r in a.requirements if r.status == "pending"]
    typed = extra.pop("typed", None)
    refused = extra.get("refused")
    if refused is not None:
        # a refusal is shown by the form it came from; one whose form is not on the page now (the application
        # went to review in another tab, the question was answered) at the top of the KYC step
        answerable = a.kyc_status == KycStatus.NEEDS_CLARIFICATION and frame.can("kyc:write")
        forms_shown = ({"kyc", "documents", "submit"} if editable else set()) | (
            {f"answer-{r.id}" for r in pending} if answerable else set()
        )
        if refused["where"] not in forms_shown | {"test-payment"}:
            refused["where"] = "kyc-top"
    return {
        "a": a,
        "steps": _steps(merchant, a, keys_ready=keys_ready, paid_test=paid_test),
        "keys": keys,
        "payment": payment,
        "editable": editable,
        "form": typed if typed is not None else _saved_fields(a),
        "business_types": BUSINESS_TYPES,
        "document_kinds": DOCUMENT_KINDS,
        "required_documents": [kind.value for kind in REQUIRED_DOCUMENTS],
        "pending_requirements": pending,
        "max_document_mb": get_settings().kyc_max_document_bytes // (1024 * 1024),
        "done": None,
        "refused": None,
        "test_amount": f"{DEFAULT_TEST_AMOUNT / 100:.2f}",
        "answer_typed": "",
        **extra,
    }


def _saved_fields(a: KycApplicationOut) -> dict[str, str]:
    saved = {name: getattr(a, name, None) or "" for name in FIELDS}
    saved["bank_account_number"] = (
        ""  # never shown back: the form says which account is saved by its last four
    )
    return saved


async def _page(
    request: Request,
    session: AsyncSession,
    merchant: MerchantAuth,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    frame = web.frame(request, merchant)
    context = await _context(session, merchant, frame, **extra)
    return web.page(request, "merchant/onboarding.html", context, merchant=merchant, status_code=status_code)


@router.get(PAGE, summary="Getting started: from signup to live payments")
async def onboarding(
    request: Request, merchant: Reader, session: ReadSession, done: str = ""
) -> HTMLResponse:
    notice = i18n.gettext(DONE[done]) if done in DONE else None
    return await _page(request, session, merchant, done={"key": done, "message": notice} if notice else None)


# ---- KYC: the fields, the documents, submitting, answering the reviewer ----------------------------------------


async def _answer(
    request: Request,
    session: AsyncSession,
    merchant: MerchantAuth,
    done: str,
    anchor: str = "kyc",
) -> Response:
    """After an action: a form sent without JavaScript gets the page again (a GET, so a reload repeats nothing);
    htmx gets the page with the notice, and takes its KYC section and step list."""
    if not web.is_htmx(request):
        return RedirectResponse(f"{web.merchant_base(merchant.mode)}/onboarding?done={done}#{anchor}", 303)
    await session.flush()
    return await _page(request, session, merchant, done={"key": done, "message": i18n.gettext(DONE[done])})


async def _refused(
    request: Request, session: AsyncSession, merchant: MerchantAuth, exc: AppError, where: str, **extra: Any
) -> HTMLResponse:
    """The page again with the refusal next to its form (and what was typed); nothing of the action is kept.
    htmx gets a 200 to swap (a 4xx would be logged by the browser as a failure of the page)."""
    await session.rollback()
    if exc.status_code == 404:
        raise exc  # another merchant's or a mistyped id: the console's not-found answer
    status_code = 200 if web.is_htmx(request) else exc.status_code
    return await _page(
        request, session, merchant, status_code=status_code, refused=_refusal(exc, where), **extra
    )


@router.post(f"{PAGE}/kyc", summary="Save your business details (the KYC application's fields)")
async def save_kyc(request: Request, merchant: Writer, session: WriteSession) -> Response:
    form = await request.form()
    typed = {name: str(form.get(name) or "").strip() for name in FIELDS}
    changes: dict[str, Any] = {name: value or None for name, value in typed.items()}
    if not typed["bank_account_number"]:
        del changes["bank_account_number"]  # left empty: the saved account stays
    try:
        body = forms.validated(KycApplicationUpdate, changes)
        await kyc_service.update(session, merchant, body.model_dump(exclude_unset=True))
    except AppError as exc:
        typed["bank_account_number"] = ""  # never echoed back into the page
        return await _refused(request, session, merchant, exc, "kyc", typed=typed)
    return await _answer(request, session, merchant, "kyc_saved")


@router.post(
    f"{PAGE}/kyc/documents",
    summary="Upload a KYC document (PDF, JPEG or PNG up to 5 MB, judged by its content)",
    dependencies=[Depends(document_body_limit)],
)
async def upload_document(request: Request, merchant: Writer, session: WriteSession) -> Response:
    try:
        # the body is already read, and bounded to a document's size, by the guard
        form = await request.form(max_files=1, max_fields=3)
        kind, upload = form.get("kind"), form.get("file")
        if not isinstance(kind, str) or kind not in DOCUMENT_KINDS:
            raise ValidationFailed(f"kind must be one of {', '.join(DOCUMENT_KINDS)}.", field="kind")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed("file is required: choose the document to upload.", field="file")
        content = await upload.read()
        await kyc_service.upload(
            session,
            merchant,
            kind=kind,
            filename=upload.filename,
            declared_type=upload.content_type,
            content=content,
        )
    except AppError as exc:
        return await _refused(request, session, merchant, exc, "documents")
    return await _answer(request, session, merchant, "document_uploaded", "documents")


@router.get(f"{PAGE}/kyc/documents/{{document_id}}", summary="View one of your KYC documents")
async def document(document_id: uuid.UUID, merchant: Reader, session: ReadSession) -> Response:
    doc, content = await kyc_service.document(session, merchant.id, document_id)
    return download(doc, content, inline=True)


@router.post(f"{PAGE}/kyc/submit", summary="Submit your KYC application for review")
async def submit(request: Request, merchant: Writer, session: WriteSession) -> Response:
    try:
        await kyc_service.submit(session, merchant)
    except AppError as exc:
        return await _refused(request, session, merchant, exc, "submit")
    return await _answer(request, session, merchant, "submitted")


@router.post(
    f"{PAGE}/kyc/requirements/{{requirement_id}}/answer", summary="Answer a question from the KYC reviewer"
)
async def answer(
    request: Request,
    requirement_id: uuid.UUID,
    merchant: Writer,
    session: WriteSession,
    response: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        body = forms.validated(RequirementAnswer, {"response": response.strip()})
        await kyc_service.answer(session, merchant, requirement_id, body.response)
    except AppError as exc:
        return await _refused(
            request, session, merchant, exc, f"answer-{requirement_id}", answer_typed=response
        )
    return await _answer(request, session, merchant, "answered", f"requirement-{requirement_id}")


# ---- the test payment ---------------------------------------------------------------------------------------


def _payment_fragment(
    request: Request,
    merchant: MerchantAuth,
    context: dict[str, Any],
    *,
    refused: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return web.fragment(
        request,
        "merchant/_onboarding_payment.html",
        # `oob`: a paid payment also ticks its step in the page's list
        {"payment": context, "refused": refused, "oob": True},
        merchant=merchant,
        status_code=status_code,
    )


@router.get(TEST_PAYMENT, summary="A test payment and its webhooks, for the page's live refresh")
async def test_payment(
    request: Request, merchant: PaymentReader, session: ReadSession, payment: str = ""
) -> Response:
    frame = web.frame(request, merchant)
    context = await _test_payment(session, merchant, frame, payment[:64] or None)
    return _payment_fragment(request, merchant, context)


async def _after_payment_action(
    request: Request, merchant: MerchantAuth, session: AsyncSession, payment_id: str | None, refused: Any
) -> Response:
    if not web.is_htmx(request) and refused is None:
        return RedirectResponse(f"{web.merchant_base(Mode.TEST)}/onboarding#test-payment", 303)
    frame = web.frame(request, merchant)
    context = await _test_payment(session, merchant, frame, payment_id)
    if not web.is_htmx(request):  # a refusal, without JavaScript: the whole page, the refusal in its step
        return await _page(
            request, session, merchant, status_code=refused["status"], refused=refused, payment=context
        )
    return _payment_fragment(request, merchant, context, refused=refused)


@router.post(TEST_PAYMENT, summary="Make a test payment on the sandbox (as POST /api/v1/pay in test mode)")
async def start_test_payment(
    request: Request,
    merchant: PaymentWriter,
    session: ReadSession,
    amount: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    payment_id: str | None = None
    refused = None
    try:
        body = forms.validated(
            PayRequest,
            {
                "amount": forms.rupees(amount or str(DEFAULT_TEST_AMOUNT / 100), "amount"),
                "order_id": f"onboarding-{secrets.token_hex(6)}",
                "notes": {"source": "dashboard onboarding"},
                # the sandbox's own payment page sends the payer back here
                "redirect_url": f"{get_settings().public_base_url.rstrip('/')}{web.merchant_base(Mode.TEST)}"
                "/onboarding",
            },
        )
        # one statement on its own connection, as the API's: it holds no lock of this request's
        started = await payment_service.initiate(merchant, body)
        payment_id = started.payment_id
    except AppError as exc:
        refused = {**_refusal(exc, "test-payment"), "status": exc.status_code}
    return await _after_payment_action(request, merchant, session, payment_id, refused)


@router.post(
    f"{TEST_PAYMENT}/{{payment_id}}/payer",
    summary="Answer as the payer on the sandbox's payment page: the payment succeeds or fails",
)
async def pay_as_payer(
    request: Request,
    payment_id: str,
    merchant: PaymentWriter,
    session: ReadSession,
    outcome: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    refused = None
    try:
        if outcome not in PAYER_OUTCOMES:
            raise ValidationFailed(f"outcome must be one of {', '.join(PAYER_OUTCOMES)}.", field="outcome")
        txn = await payment_service.find(session, merchant, payment_id[:64])
        gateway = await gateway_service.get(session, txn.gateway_id)
        checkout_url, status, payment_id = txn.checkout_url, txn.status, txn.payment_id
        sandbox = (
            gateway.provider == "sandbox"
            and bool(checkout_url)
            and str(checkout_url).startswith(gateway.base_url.rstrip("/") + "/")
        )
        await session.rollback()  # no transaction stays open across the call to the PSP
        if status != TransactionStatus.PENDING or not checkout_url or not sandbox:
            raise NotAwaitingPayer(
                f"The payment is {status}; only a pending sandbox payment takes the payer's answer here."
            )
        await _post_payer_outcome(str(checkout_url), outcome)
    except AppError as exc:
        if exc.status_code == 404:
            raise  # another merchant's or a mistyped id: the console's not-found answer
        refused = {**_refusal(exc, "test-payment"), "status": exc.status_code}
    return await _after_payment_action(request, merchant, session, payment_id, refused)


async def _post_payer_outcome(checkout_url: str, outcome: str) -> None:
    """What the payer's browser posts on the sandbox's hosted page; the sandbox then sends the platform its
    signed webhook, and the payment moves as any payment does."""
    try:
        r = await http.client().post(
            checkout_url, data={"outcome": outcome}, headers={"accept": "application/json"}
        )
    except httpx.HTTPError as exc:
        raise PspUnavailable(f"The sandbox did not answer ({type(exc).__name__}).") from None
    # 303: the sandbox sends the payer back to the redirect_url; 200: it answered the JSON caller
    if r.status_code not in (200, 303):
        raise PspUnavailable(f"The sandbox answered HTTP {r.status_code}.")
