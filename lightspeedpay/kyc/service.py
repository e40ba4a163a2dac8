"""KYC: the merchant's application (edit, documents, submit, answer clarifications), the operator's review
(start, approve, reject, ask for clarification) and the penny drop that verifies the settlement account.

The review state is `clients.kyc_status`:
    draft -> submitted -> under_review <-> needs_clarification -> activated, or rejected
(needs_clarification goes back to submitted when the merchant resubmits). Every change of state locks the
merchant's row first, checks the move is allowed (409 `KYC_INVALID_TRANSITION` otherwise), writes its audit row
and its notice in the same transaction, and is whole or not at all."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay import jobs
from lightspeedpay.auth.principal import MerchantAuth, principal_service
from lightspeedpay.config import get_settings
from lightspeedpay.errors import AppError, NotFound, PayloadTooLarge, ValidationFailed
from lightspeedpay.kit import crypto
from lightspeedpay.kit.logging import log
from lightspeedpay.kit.pagination import page_cursor, parse_cursor
from lightspeedpay.kyc import validators
from lightspeedpay.kyc.repository import kyc_repo
from lightspeedpay.kyc.storage import document_storage
from lightspeedpay.kyc.verification import ProviderUnavailable, bank_account_verifier
from lightspeedpay.mail.service import email_service
from lightspeedpay.models import Client, KycApplication, KycDocument, KycRequirement, KycVerification
from lightspeedpay.models.client import ClientStatus, KycStatus
from lightspeedpay.models.kyc_document import DocumentKind
from lightspeedpay.models.kyc_requirement import RequirementStatus
from lightspeedpay.models.kyc_verification import VerificationStatus
from lightspeedpay.monitoring.audit import record

PENNY_DROP_TASK = "kyc.penny_drop"
KYC_SUSPENSION = "kyc"  # clients.suspension_reason of a merchant an operator suspended after activation
EDITABLE = frozenset({KycStatus.DRAFT, KycStatus.NEEDS_CLARIFICATION})
# what a complete application holds; the documents every business gives (a GST certificate only with a GSTIN)
REQUIRED_FIELDS = (
    "business_type",
    "legal_name",
    "signatory_name",
    "business_pan",
    "signatory_pan",
    "bank_account_enc",
    "bank_ifsc",
    "website_url",
    "contact_name",
    "contact_email",
    "contact_phone",
)
REQUIRED_DOCUMENTS = (DocumentKind.PAN_CARD, DocumentKind.ADDRESS_PROOF, DocumentKind.CANCELLED_CHEQUE)
# the account holder a penny drop may find, besides the business: for these the account is the person's own
PERSONAL_ACCOUNTS = frozenset({"individual", "proprietorship"})


class KycInvalidTransition(AppError):
    status_code, code = 409, "KYC_INVALID_TRANSITION"

    def __init__(self, current: str, action: str) -> None:
        super().__init__(f"The KYC application is {current}; it cannot be {action} now.")


class KycNotEditable(AppError):
    status_code, code = 409, "KYC_NOT_EDITABLE"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"The KYC application is {current}; it can be changed only as a draft or when clarification is asked."
        )


class KycIncomplete(AppError):
    status_code, code = 422, "KYC_INCOMPLETE"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"The application is not complete; still missing: {', '.join(missing)}.", field=missing[0]
        )
        self.missing = missing

    def body(self) -> dict[str, Any]:
        out = super().body()
        out["error"]["missing"] = self.missing
        return out


class ClarificationsPending(AppError):
    status_code, code = 409, "KYC_CLARIFICATIONS_PENDING"


class BankAccountNotVerified(AppError):
    status_code, code = 409, "BANK_ACCOUNT_NOT_VERIFIED"


class DocumentTooLarge(PayloadTooLarge):
    code = "DOCUMENT_TOO_LARGE"


class InvalidWebsite(ValidationFailed):
    code = "INVALID_WEBSITE_URL"


class KycNotFound(NotFound):
    code = "KYC_APPLICATION_NOT_FOUND"


@dataclass(frozen=True)
class KycView:
    client: Client
    application: KycApplication | None
    documents: list[KycDocument]
    verifications: list[KycVerification]
    requirements: list[KycRequirement]

    @property
    def missing(self) -> list[str]:
        return missing_items(self.application, self.documents)


def missing_items(application: KycApplication | None, documents: list[KycDocument]) -> list[str]:
    out = []
    for name in REQUIRED_FIELDS:
        if application is None or getattr(application, name) is None:
            out.append("bank_account_number" if name == "bank_account_enc" else name)
    kinds = {d.kind for d in documents}
    out.extend(kind.value for kind in REQUIRED_DOCUMENTS if kind not in kinds)
    if application is not None and application.gstin and DocumentKind.GST_CERTIFICATE not in kinds:
        out.append(DocumentKind.GST_CERTIFICATE.value)
    return out


_SUBJECTS = {
    "submitted": "We have your KYC application",
    "review_started": "Your KYC application is being reviewed",
    "clarification_requested": "Your KYC application needs a few changes",
    "activated": "Your account is activated",
    "rejected": "Your KYC application was not approved",
    "bank_account_verified": "Your settlement bank account is verified",
    "bank_account_failed": "We could not verify your settlement bank account",
    "suspended": "Your account is suspended",
    "reinstated": "Your account is active again",
}


def _notice_text(event: str, company: str, details: dict[str, Any]) -> str:
    lines = {
        "submitted": "we have received your KYC application. We will review it and write again; the bank "
        "account you gave is being verified with a small deposit (penny drop).",
        "review_started": "an operator has started reviewing your KYC application.",
        "clarification_requested": "the reviewer asks you to change or explain the following before the "
        "application can go on. Answer each in the dashboard's KYC page and submit again.",
        "activated": "your KYC application is approved and your account is activated: you can now create live "
        "API credentials.",
        "rejected": "your KYC application was not approved.",
        "bank_account_verified": "your settlement bank account is verified.",
        "bank_account_failed": "we could not verify your settlement bank account (the bank did not know it, or "
        "it is held under another name). The reviewer may ask you for another account.",
        "suspended": "your account is suspended: payments are refused until it is reinstated.",
        "reinstated": "your account is active again.",
    }[event]
    text = ["Hello from LightSpeedPay,", "", f"For {company}: {lines}"]
    for code, reason in details.get("items", []):
        text.append(f"  - {code}: {reason}")
    if details.get("reason"):
        text += ["", f"Reason: {details['reason']}"]
    return "\n".join(text) + "\n"


async def _notify(session: AsyncSession, client_id: uuid.UUID, event: str, **details: Any) -> None:
    """The one place KYC tells the merchant what happened, by email through the outbox (queued in the change's
    transaction, sent by the email-notifications queue): to its owners and admins and the application's contact.
    Events: submitted, review_started, clarification_requested, activated, rejected, bank_account_verified,
    bank_account_failed, suspended, reinstated."""
    client = await kyc_repo.client(session, client_id)
    if client is None:
        return
    app = await kyc_repo.application(session, client_id)
    recipients = await kyc_repo.notice_recipients(session, client_id)
    if app is not None and app.contact_email:
        recipients.append(app.contact_email)
    seen: set[str] = set()
    text = _notice_text(event, client.company_name, details)
    for to in recipients:
        if to.lower() in seen:
            continue
        seen.add(to.lower())
        email_service.queue(
            session, to=to, subject=_SUBJECTS[event], text=text, kind=f"kyc.{event}", client_id=client_id
        )
    log.info("kyc_notice", client_id=str(client_id), kyc_event=event, recipients=len(seen))


def _now() -> datetime:
    return datetime.now(UTC)


class KycService:
    # ---- reading --------------------------------------------------------------------------------------------

    async def view(self, session: AsyncSession, client_id: uuid.UUID) -> KycView:
        client = await kyc_repo.client(session, client_id)
        if client is None:
            raise KycNotFound("No merchant has this id.", field="merchant_id")
        return KycView(
            client,
            await kyc_repo.application(session, client_id),
            await kyc_repo.documents(session, client_id),
            await kyc_repo.verifications(session, client_id),
            await kyc_repo.requirements(session, client_id),
        )

    async def queue(
        self,
        session: AsyncSession,
        *,
        status: str | None = None,
        statuses: tuple[str, ...] | None = None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[tuple[KycApplication, Client]], str | None]:
        """Applications newest first, in one review state (`status`), some (`statuses`: the console's "to review"),
        or all."""
        wanted = (status,) if status is not None else statuses
        rows = await kyc_repo.queue_page(session, statuses=wanted, after=parse_cursor(cursor), limit=limit)
        return rows[:limit], page_cursor(rows, limit, key=lambda row: row[0])

    async def document(
        self, session: AsyncSession, client_id: uuid.UUID, document_id: uuid.UUID
    ) -> tuple[KycDocument, bytes]:
        doc = await kyc_repo.document(session, client_id, document_id)
        if doc is None:
            raise NotFound("No document with this id.", field="document_id")
        content = await document_storage().get(doc.storage_key)
        if hashlib.sha256(content).hexdigest() != doc.sha256:
            raise RuntimeError(
                f"KYC document {doc.id} does not match its recorded SHA-256"
            )  # a 500: tampering
        return doc, content

    # ---- the merchant ---------------------------------------------------------------------------------------

    async def _editable(self, session: AsyncSession, client_id: uuid.UUID) -> tuple[Client, KycApplication]:
        client = await kyc_repo.client_for_update(session, client_id)
        if client is None:
            raise KycNotFound("No merchant has this id.")
        if client.kyc_status not in EDITABLE:
            raise KycNotEditable(client.kyc_status)
        application = await kyc_repo.application(session, client_id)
        if application is None:
            application = KycApplication(id=uuid.uuid4(), client_id=client_id)
            kyc_repo.add(session, application)
        return client, application

    async def update(self, session: AsyncSession, merchant: MerchantAuth, changes: dict[str, Any]) -> None:
        """Save the fields given (each checked, and the set checked together); all or none."""
        _, app = await self._editable(session, merchant.id)
        merged = {
            "business_type": app.business_type,
            "business_pan": app.business_pan,
            "signatory_pan": app.signatory_pan,
            "gstin": app.gstin,
        }
        merged.update({k: v for k, v in changes.items() if k in merged})
        values = dict(changes)
        btype = merged["business_type"]
        if merged["business_pan"]:
            merged["business_pan"] = validators.check_pan(
                merged["business_pan"], field="business_pan", business_type=btype
            )
        if merged["signatory_pan"]:
            merged["signatory_pan"] = validators.check_pan(
                merged["signatory_pan"], field="signatory_pan", person=True
            )
        if merged["gstin"]:
            merged["gstin"] = validators.check_gstin(merged["gstin"], pan=merged["business_pan"])
        for name in ("business_pan", "signatory_pan", "gstin"):
            if name in values and values[name] is not None:
                values[name] = merged[name]
        if values.get("bank_ifsc") is not None:
            values["bank_ifsc"] = validators.check_ifsc(values["bank_ifsc"])
        if values.get("website_url") is not None:
            values["website_url"] = _check_website(values["website_url"])
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if "bank_account_number" in values:
            number = values.pop("bank_account_number")
            if number is not None:
                number = validators.check_account_number(number)
            before["bank_account_last4"] = app.bank_account_last4
            app.bank_account_enc = crypto.encrypt(number) if number else None
            app.bank_account_last4 = number[-4:] if number else None
            after["bank_account_last4"] = app.bank_account_last4
        for name, value in values.items():
            if getattr(app, name) != value:
                before[name], after[name] = getattr(app, name), value
                setattr(app, name, value)
        if after:
            record(
                session,
                actor=merchant.actor,
                action="kyc.application_updated",
                target_type="kyc_application",
                target_id=app.id,
                client_id=merchant.id,
                before=before,
                after=after,
            )

    async def upload(
        self,
        session: AsyncSession,
        merchant: MerchantAuth,
        *,
        kind: str,
        filename: str,
        declared_type: str | None,
        content: bytes,
    ) -> KycDocument:
        limit = get_settings().kyc_max_document_bytes
        if len(content) > limit:
            raise DocumentTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.", field="file")
        media_type = validators.inspect_document(content, filename=filename, declared_type=declared_type)
        _, app = await self._editable(session, merchant.id)
        await session.flush()
        doc = KycDocument(
            id=uuid.uuid4(),
            client_id=merchant.id,
            kind=kind,
            storage_key=f"kyc/{merchant.id}/{uuid.uuid4().hex}",
            content_type=media_type,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            filename=_safe_filename(filename),
            uploaded_by=merchant.actor,
        )
        # the bytes first: a transaction that then fails leaves a file nothing names, never a row without bytes
        await document_storage().put(doc.storage_key, content)
        kyc_repo.add(session, doc)
        record(
            session,
            actor=merchant.actor,
            action="kyc.document_uploaded",
            target_type="kyc_document",
            target_id=doc.id,
            client_id=merchant.id,
            after={
                "kind": kind,
                "content_type": media_type,
                "size_bytes": len(content),
                "sha256": doc.sha256,
            },
            details={"application_id": str(app.id)},
        )
        await session.flush()
        return doc

    async def submit(self, session: AsyncSession, merchant: MerchantAuth) -> None:
        client = await kyc_repo.client_for_update(session, merchant.id)
        if client is None:
            raise KycNotFound("No merchant has this id.")
        if client.kyc_status not in EDITABLE:
            raise KycInvalidTransition(client.kyc_status, "submitted")
        app = await kyc_repo.application(session, merchant.id)
        missing = missing_items(app, await kyc_repo.documents(session, merchant.id))
        if missing or app is None:
            raise KycIncomplete(missing)
        pending = await kyc_repo.pending_requirements(session, merchant.id)
        if pending:
            raise ClarificationsPending(
                f"{pending} clarification{'s are' if pending > 1 else ' is'} still unanswered; answer each "
                "(POST /api/v1/merchant/kyc/requirements/{id}/answer) before submitting again."
            )
        before = client.kyc_status
        client.kyc_status = KycStatus.SUBMITTED
        app.submitted_at = _now()
        verification = await self._penny_drop_if_needed(session, client, app)
        record(
            session,
            actor=merchant.actor,
            action="kyc.submitted",
            target_type="kyc_application",
            target_id=app.id,
            client_id=merchant.id,
            before={"kyc_status": before},
            after={"kyc_status": client.kyc_status},
            details={"penny_drop": str(verification.id) if verification else None},
        )
        await _notify(session, merchant.id, "submitted")

    async def _penny_drop_if_needed(
        self, session: AsyncSession, client: Client, app: KycApplication
    ) -> KycVerification | None:
        """A new penny drop unless the latest one already checked this very account and name (a resubmission
        that changed neither does not pay for another)."""
        assert app.bank_account_enc and app.bank_ifsc and app.legal_name and app.bank_account_last4
        account = crypto.decrypt(app.bank_account_enc)
        latest = next(iter(await kyc_repo.verifications(session, client.id)), None)
        if (
            latest is not None
            and latest.status in (VerificationStatus.PENDING, VerificationStatus.VERIFIED)
            and latest.bank_ifsc == app.bank_ifsc
            and latest.expected_name == app.legal_name
            and crypto.decrypt(latest.bank_account_enc) == account
        ):
            return None
        verification = KycVerification(
            id=uuid.uuid4(),
            client_id=client.id,
            kind="penny_drop",
            status=VerificationStatus.PENDING,
            provider=bank_account_verifier().name,
            bank_account_enc=crypto.encrypt(account),
            bank_account_last4=app.bank_account_last4,
            bank_ifsc=app.bank_ifsc,
            expected_name=app.legal_name,
        )
        kyc_repo.add(session, verification)
        await session.flush()
        jobs.enqueue(session, PENNY_DROP_TASK, verification_id=str(verification.id))
        return verification

    async def answer(
        self, session: AsyncSession, merchant: MerchantAuth, requirement_id: uuid.UUID, response: str
    ) -> KycRequirement:
        client = await kyc_repo.client_for_update(session, merchant.id)
        if client is None:
            raise KycNotFound("No merchant has this id.")
        requirement = await kyc_repo.requirement(session, merchant.id, requirement_id)
        if requirement is None:
            raise NotFound("No clarification with this id.", field="requirement_id")
        if (
            client.kyc_status != KycStatus.NEEDS_CLARIFICATION
            or requirement.status != RequirementStatus.PENDING
        ):
            raise KycInvalidTransition(
                client.kyc_status
                if requirement.status == RequirementStatus.PENDING
                else "already answered here",
                "answered",
            )
        requirement.status = RequirementStatus.RESOLVED
        requirement.response = response
        requirement.resolved_by = merchant.actor
        requirement.resolved_at = _now()
        record(
            session,
            actor=merchant.actor,
            action="kyc.requirement_answered",
            target_type="kyc_requirement",
            target_id=requirement.id,
            client_id=merchant.id,
            before={"status": RequirementStatus.PENDING.value},
            after={"status": RequirementStatus.RESOLVED.value, "response": response},
            details={"code": requirement.code},
        )
        return requirement

    # ---- the operator ---------------------------------------------------------------------------------------

    async def _move(
        self,
        session: AsyncSession,
        client_id: uuid.UUID,
        *,
        allowed_from: frozenset[str],
        to: str,
        action: str,
        verb: str,
        actor: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> tuple[Client, KycApplication]:
        client = await kyc_repo.client_for_update(session, client_id)
        if client is None:
            raise KycNotFound("No merchant has this id.", field="merchant_id")
        app = await kyc_repo.application(session, client_id)
        if app is None or client.kyc_status not in allowed_from:
            raise KycInvalidTransition(client.kyc_status, verb)
        before = client.kyc_status
        client.kyc_status = to
        record(
            session,
            actor=actor,
            action=action,
            target_type="kyc_application",
            target_id=app.id,
            client_id=client_id,
            before={"kyc_status": before},
            after={"kyc_status": to},
            reason=reason,
            details=details,
        )
        return client, app

    async def start_review(self, session: AsyncSession, client_id: uuid.UUID, *, actor: str) -> None:
        await self._move(
            session,
            client_id,
            allowed_from=frozenset({KycStatus.SUBMITTED}),
            to=KycStatus.UNDER_REVIEW,
            action="kyc.review_started",
            verb="taken into review",
            actor=actor,
        )
        await _notify(session, client_id, "review_started")

    async def approve(
        self, session: AsyncSession, client_id: uuid.UUID, *, actor: str, note: str | None
    ) -> None:
        verifications = await kyc_repo.verifications(session, client_id)
        latest = next(iter(verifications), None)
        if latest is None or latest.status != VerificationStatus.VERIFIED:
            raise BankAccountNotVerified(
                "The settlement bank account is not verified (the latest penny drop is "
                f"{latest.status if latest else 'missing'}); ask the merchant for another account instead."
            )
        if await kyc_repo.pending_requirements(session, client_id):
            raise ClarificationsPending("Clarifications asked of the merchant are still unanswered.")
        _, app = await self._move(
            session,
            client_id,
            allowed_from=frozenset({KycStatus.UNDER_REVIEW}),
            to=KycStatus.ACTIVATED,
            action="kyc.approved",
            verb="approved (take it into review first)",
            actor=actor,
            reason=note,
            details={"penny_drop": str(latest.id)},
        )
        now = _now()
        app.decided_at, app.decided_by, app.rejection_reason = now, actor, None
        await _notify(session, client_id, "activated")

    async def reject(self, session: AsyncSession, client_id: uuid.UUID, *, actor: str, reason: str) -> None:
        _, app = await self._move(
            session,
            client_id,
            allowed_from=frozenset(
                {KycStatus.SUBMITTED, KycStatus.UNDER_REVIEW, KycStatus.NEEDS_CLARIFICATION}
            ),
            to=KycStatus.REJECTED,
            action="kyc.rejected",
            verb="rejected",
            actor=actor,
            reason=reason,
        )
        now = _now()
        app.decided_at, app.decided_by, app.rejection_reason = now, actor, reason
        await kyc_repo.resolve_all(session, client_id, by=actor, now=now)
        await _notify(session, client_id, "rejected", reason=reason)

    async def ask_clarification(
        self, session: AsyncSession, client_id: uuid.UUID, items: list[tuple[str, str]], *, actor: str
    ) -> list[KycRequirement]:
        await self._move(
            session,
            client_id,
            allowed_from=frozenset({KycStatus.SUBMITTED, KycStatus.UNDER_REVIEW}),
            to=KycStatus.NEEDS_CLARIFICATION,
            action="kyc.clarification_requested",
            verb="sent back for clarification",
            actor=actor,
            details={"items": [{"code": code, "reason": reason} for code, reason in items]},
        )
        rows = [
            KycRequirement(
                id=uuid.uuid4(),
                client_id=client_id,
                code=code,
                reason=reason,
                status=RequirementStatus.PENDING,
                requested_by=actor,
            )
            for code, reason in items
        ]
        for row in rows:
            kyc_repo.add(session, row)
        await session.flush()
        await _notify(session, client_id, "clarification_requested", items=items)
        return rows

    async def suspend(
        self, session: AsyncSession, client_id: uuid.UUID, *, actor: str, reason: str
    ) -> Client:
        """An activated merchant found wanting later (ongoing due diligence): the merchant's own status becomes
        suspended for `kyc`, which refuses payments as a dues suspension does but is never lifted by paying dues.
        A merchant already suspended for dues is re-labelled: paying dues must not lift this one."""
        client = await kyc_repo.client_for_update(session, client_id)
        if client is None:
            raise KycNotFound("No merchant has this id.", field="merchant_id")
        if client.kyc_status != KycStatus.ACTIVATED:
            raise KycInvalidTransition(client.kyc_status, "suspended (only an activated merchant can be)")
        if client.status == ClientStatus.DISABLED or client.suspension_reason == KYC_SUSPENSION:
            raise KycInvalidTransition(
                f"activated and the merchant {client.status}"
                + (" for KYC" if client.suspension_reason == KYC_SUSPENSION else ""),
                "suspended",
            )
        before = {"status": client.status, "suspension_reason": client.suspension_reason}
        client.status, client.suspension_reason = ClientStatus.SUSPENDED, KYC_SUSPENSION
        record(
            session,
            actor=actor,
            action="merchant.suspended",
            target_type="merchant",
            target_id=client.id,
            client_id=client.id,
            before=before,
            after={"status": client.status, "suspension_reason": KYC_SUSPENSION},
            reason=reason,
        )
        principal_service.forget(client.client_key)
        await _notify(session, client_id, "suspended", reason=reason)
        return client

    async def reinstate(
        self, session: AsyncSession, client_id: uuid.UUID, *, actor: str, reason: str
    ) -> Client:
        """Lift a KYC suspension (payments resume unless dues are over the threshold: the payment path checks
        those itself)."""
        client = await kyc_repo.client_for_update(session, client_id)
        if client is None:
            raise KycNotFound("No merchant has this id.", field="merchant_id")
        if client.status != ClientStatus.SUSPENDED or client.suspension_reason != KYC_SUSPENSION:
            raise KycInvalidTransition(
                f"not suspended for KYC (the merchant is {client.status})", "reinstated"
            )
        client.status, client.suspension_reason = ClientStatus.ACTIVE, None
        record(
            session,
            actor=actor,
            action="merchant.resumed",
            target_type="merchant",
            target_id=client.id,
            client_id=client.id,
            before={"status": ClientStatus.SUSPENDED.value, "suspension_reason": KYC_SUSPENSION},
            after={"status": client.status, "suspension_reason": None},
            reason=reason,
        )
        principal_service.forget(client.client_key)
        await _notify(session, client_id, "reinstated", reason=reason)
        return client

    # ---- the penny drop job -----------------------------------------------------------------------------------

    async def run_penny_drop(self, session: AsyncSession, verification_id: uuid.UUID) -> None:
        """Safe to run twice: a verification that has its answer is left alone. A provider that does not answer
        raises, and the job is retried (the verification stays pending meanwhile)."""
        verification = await kyc_repo.verification_for_update(session, verification_id)
        if verification is None or verification.status != VerificationStatus.PENDING:
            return
        app = await kyc_repo.application(session, verification.client_id)
        try:
            check = await bank_account_verifier().verify(
                account_number=crypto.decrypt(verification.bank_account_enc),
                ifsc=verification.bank_ifsc,
                expected_name=verification.expected_name,
                reference=verification.id.hex[:25],
            )
        except ProviderUnavailable as exc:
            raise RuntimeError(f"penny drop provider unavailable: {exc}") from None
        verification.provider_response = check.response
        verification.provider_ref = check.provider_ref
        verification.provider_name_match = check.provider_name_match
        verification.completed_at = _now()
        if not check.exists:
            verification.status = VerificationStatus.INVALID_ACCOUNT
            verification.error = str((check.response.get("data") or {}).get("error") or "no such account")[
                :500
            ]
        else:
            verification.name_at_bank = (check.name_at_bank or "")[:200] or None
            names = [verification.expected_name]
            if app is not None and app.signatory_name and app.business_type in PERSONAL_ACCOUNTS:
                names.append(app.signatory_name)
            score = max(validators.name_match_score(n, check.name_at_bank or "") for n in names)
            verification.name_match_score = score
            threshold = Decimal(str(get_settings().kyc_name_match_threshold))
            verification.status = (
                VerificationStatus.VERIFIED if score >= threshold else VerificationStatus.NAME_MISMATCH
            )
        record(
            session,
            actor="kyc",
            action="kyc.bank_account_checked",
            target_type="kyc_verification",
            target_id=verification.id,
            client_id=verification.client_id,
            after={
                "status": verification.status,
                "name_match_score": str(verification.name_match_score)
                if verification.name_match_score is not None
                else None,
                "bank_account_last4": verification.bank_account_last4,
            },
        )
        await _notify(
            session,
            verification.client_id,
            "bank_account_verified"
            if verification.status == VerificationStatus.VERIFIED
            else "bank_account_failed",
        )


def _check_website(value: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host or parts.username or parts.password:
        raise InvalidWebsite(
            "website_url must be the http(s) address of the business's website or app page (like "
            "https://shop.example.in).",
            field="website_url",
        )
    return url


def _safe_filename(name: str) -> str:
    """The uploaded name, for the reviewer's eyes only (never a path): its last part, printable, 200 at most."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"')
    return cleaned[:200] or "document"


kyc_service = KycService()
