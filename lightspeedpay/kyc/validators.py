"""The formats of Indian KYC identifiers: PAN (and the holder type its 4th character encodes), GSTIN (with its
mod-36 check character), IFSC and bank account numbers; and the name match a penny drop is judged by.

Each `check_*` returns the normalised value or raises `InvalidIdentifier` with a stable code and a sentence a
merchant can act on. Sources: the Income Tax Department's PAN structure (4th character: P individual, C company,
H HUF, F firm/LLP, A AOP, T trust, B BOI, L local authority, J artificial juridical person, G government; as
python-stdnum's `in_.pan` lists them), GSTN's GSTIN structure (state code, PAN, entity number, 'Z', a check
character by the Luhn mod N algorithm over the 36 characters 0-9A-Z), RBI's IFSC (4 letters, '0', 6 characters)."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from lightspeedpay.errors import ValidationFailed

PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
GSTIN_RE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
ACCOUNT_RE = re.compile(r"^[0-9]{9,18}$")

PAN_HOLDER_TYPES = {
    "P": "individual",
    "C": "company",
    "H": "Hindu undivided family",
    "F": "firm or LLP",
    "A": "association of persons",
    "T": "trust",
    "B": "body of individuals",
    "L": "local authority",
    "J": "artificial juridical person",
    "G": "government",
}

# which PAN holder types a business of each type may hold. A proprietorship has no PAN of its own: its business
# PAN is the proprietor's (P). LLPs are assessed as firms (F). A registered society is an AOP (A) or, when it
# runs as a charitable trust, T; a section 8 company is a company (C).
BUSINESS_PAN_TYPES: dict[str, frozenset[str]] = {
    "individual": frozenset("P"),
    "proprietorship": frozenset("P"),
    "partnership": frozenset("F"),
    "llp": frozenset("F"),
    "private_limited": frozenset("C"),
    "public_limited": frozenset("C"),
    "huf": frozenset("H"),
    "trust": frozenset("T"),
    "society": frozenset("AT"),
    "ngo": frozenset("CAT"),
    "government": frozenset("GLJ"),
}

# GST state codes in use (01-38, and 97 "other territory"; 99 is the centre's own jurisdiction)
GST_STATE_CODES = frozenset({f"{n:02d}" for n in range(1, 39)} | {"97", "99"})

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class InvalidIdentifier(ValidationFailed):
    """A 422 with the identifier's own code (INVALID_PAN, INVALID_GSTIN, ...)."""

    def __init__(self, code: str, message: str, *, field: str) -> None:
        super().__init__(message, field=field)
        self._code = code

    def body(self) -> dict[str, object]:
        out = super().body()
        out["error"]["code"] = self._code  # type: ignore[index]
        return out

    @property
    def error_code(self) -> str:
        return self._code


def _compact(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def check_pan(value: str, *, field: str, business_type: str | None = None, person: bool = False) -> str:
    """A PAN `AAAAA9999A`; the holder type (4th character) must suit the business type, or be a person's."""
    pan = _compact(value)
    if not PAN_RE.match(pan) or pan[3] not in PAN_HOLDER_TYPES or pan[5:9] == "0000":
        raise InvalidIdentifier(
            "INVALID_PAN",
            f"{field} must be a PAN: 5 letters, 4 digits, a letter (like ABCPE1234F).",
            field=field,
        )
    if person and pan[3] != "P":
        raise InvalidIdentifier(
            "PAN_HOLDER_TYPE_MISMATCH",
            f"{field} must be a person's PAN (its 4th character is P); this one is a "
            f"{PAN_HOLDER_TYPES[pan[3]]}'s.",
            field=field,
        )
    allowed = BUSINESS_PAN_TYPES.get(business_type or "")
    if allowed is not None and pan[3] not in allowed:
        raise InvalidIdentifier(
            "PAN_HOLDER_TYPE_MISMATCH",
            f"{field} is a {PAN_HOLDER_TYPES[pan[3]]}'s PAN (4th character {pan[3]}), which a "
            f"{business_type.replace('_', ' ') if business_type else ''} business cannot hold; expected "
            f"{' or '.join(sorted(allowed))}.",
            field=field,
        )
    return pan


def gstin_check_character(first14: str) -> str:
    """The 15th character of a GSTIN: Luhn mod 36 over the first 14 (every second character doubled, each
    product's base-36 digits summed)."""
    total = 0
    for i, char in enumerate(first14):
        product = _BASE36.index(char) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _BASE36[(36 - total % 36) % 36]


def check_gstin(value: str, *, field: str = "gstin", pan: str | None = None) -> str:
    """A GSTIN: state code, the holder's PAN, entity number, 'Z', check character; its PAN must be `pan`."""
    gstin = _compact(value)
    if len(gstin) != 15 or not GSTIN_RE.match(gstin) or gstin[2:12][3] not in PAN_HOLDER_TYPES:
        raise InvalidIdentifier(
            "INVALID_GSTIN",
            f"{field} must be 15 characters: a 2-digit state code, the PAN, an entity number, Z and a check "
            "character (like 27AAPFU0939F1ZV).",
            field=field,
        )
    if gstin[:2] not in GST_STATE_CODES:
        raise InvalidIdentifier(
            "INVALID_GSTIN", f"{field} starts with an unknown state code {gstin[:2]}.", field=field
        )
    if gstin_check_character(gstin[:14]) != gstin[14]:
        raise InvalidIdentifier(
            "GSTIN_CHECKSUM_MISMATCH",
            f"{field}'s last character does not match the others; check the number for a typing mistake.",
            field=field,
        )
    if pan is not None and gstin[2:12] != pan:
        raise InvalidIdentifier(
            "GSTIN_PAN_MISMATCH",
            f"{field} belongs to PAN {gstin[2:12]}, not the business PAN {pan}.",
            field=field,
        )
    return gstin


def check_ifsc(value: str, *, field: str = "bank_ifsc") -> str:
    ifsc = _compact(value)
    if not IFSC_RE.match(ifsc):
        raise InvalidIdentifier(
            "INVALID_IFSC",
            f"{field} must be an IFSC: 4 letters, a zero, then 6 letters or digits (like HDFC0001234).",
            field=field,
        )
    return ifsc


def check_account_number(value: str, *, field: str = "bank_account_number") -> str:
    number = re.sub(r"\s", "", value)
    if not ACCOUNT_RE.match(number):
        raise InvalidIdentifier(
            "INVALID_BANK_ACCOUNT", f"{field} must be 9 to 18 digits, without spaces or letters.", field=field
        )
    return number


# ---- the name match a penny drop is judged by -----------------------------------------------------------------

# words that say nothing of who the holder is: titles, and the legal form, which banks abbreviate as they like
_NOISE = frozenset(
    {
        "M", "S", "MS", "MESSRS", "MR", "MRS", "SHRI", "SMT", "KUMARI", "DR", "THE", "AND", "OF",
        "PVT", "PRIVATE", "LTD", "LIMITED", "LLP", "CO", "COMPANY", "CORP", "CORPORATION", "INC", "OPC",
        "PROP", "PROPRIETOR", "HUF",
    }
)  # fmt: skip


def name_tokens(name: str) -> list[str]:
    """Upper-case ASCII words, punctuation dropped ('M/s. Sharma & Sons Pvt. Ltd.' -> SHARMA, SONS)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Z0-9]+", ascii_name.upper().replace("&", " AND "))
    return [w for w in words if w not in _NOISE]


def name_match_score(expected: str, at_bank: str) -> Decimal:
    """0-100: the Sørensen-Dice overlap of the two names' words (each word counted once); an initial ('R')
    matches a word it begins ('RAMESH'). Order does not matter: banks write 'KUMAR RAMESH' as often as not."""
    a, b = set(name_tokens(expected)), set(name_tokens(at_bank))
    if not a or not b:
        return Decimal(0)
    matched = len(a & b)
    rest_a, rest_b = sorted(a - b), sorted(b - a)
    for word in rest_a:
        partner = next((w for w in rest_b if _initial_of(w, word) or _initial_of(word, w)), None)
        if partner is not None:
            rest_b.remove(partner)
            matched += 1
    score = Decimal(200 * matched) / Decimal(len(a) + len(b))
    return score.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _initial_of(initial: str, word: str) -> bool:
    return len(initial) == 1 and word.startswith(initial)


# ---- documents: what a file is, judged by its bytes -------------------------------------------------------------

DOCUMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_EXTENSIONS = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}
# a ZIP archive is read from its end-of-central-directory record: bytes that hold one open as an archive
# (docx, jar, apk, or a "polyglot" image or PDF with an archive appended), whatever their first bytes say
_ZIP_END_RECORD = b"PK\x05\x06"


class DocumentRefused(ValidationFailed):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, field="file")
        self._code = code

    def body(self) -> dict[str, object]:
        out = super().body()
        out["error"]["code"] = self._code  # type: ignore[index]
        return out


def inspect_document(content: bytes, *, filename: str, declared_type: str | None) -> str:
    """The document's media type (PDF, JPEG or PNG), found from its bytes; refused when the bytes are anything
    else, hold a second format as well, are cut short, or differ from what the name or declared type claims."""
    import filetype  # local: only the upload route needs it

    if not content:
        raise DocumentRefused("EMPTY_DOCUMENT", "The file is empty.")
    guessed = filetype.guess(content)
    found = guessed.mime if guessed is not None else None
    if found not in DOCUMENT_TYPES:
        what = f"a {guessed.extension} file" if guessed is not None else "not a file type we can read"
        raise DocumentRefused(
            "UNSUPPORTED_DOCUMENT_TYPE", f"Upload a PDF, JPEG or PNG; by its content this is {what}."
        )
    if _ZIP_END_RECORD in content:
        raise DocumentRefused(
            "UNSUPPORTED_DOCUMENT_TYPE",
            "The file holds a ZIP archive besides the document; upload the plain PDF, JPEG or PNG.",
        )
    if not _complete(found, content):
        raise DocumentRefused(
            "DOCUMENT_DAMAGED", f"The {DOCUMENT_TYPES[found].upper()} is cut short or damaged."
        )
    claimed = _EXTENSIONS.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    for label, claim in (
        ("name", claimed),
        ("declared type", declared if declared in DOCUMENT_TYPES else None),
    ):
        if claim is not None and claim != found:
            raise DocumentRefused(
                "DOCUMENT_TYPE_MISMATCH",
                f"The file's {label} says {DOCUMENT_TYPES[claim].upper()} but its content is "
                f"{DOCUMENT_TYPES[found].upper()}; upload it under its true type.",
            )
    return found


def _complete(media_type: str, content: bytes) -> bool:
    """A PDF ends with %%EOF (allowing trailing whitespace), a PNG with its IEND chunk, a JPEG with EOI."""
    tail = content[-1024:].rstrip(b"\r\n\t \x00")
    if media_type == "application/pdf":
        return tail.endswith(b"%%EOF")
    if media_type == "image/png":
        return content.endswith(b"IEND\xaeB`\x82")
    return content.rstrip(b"\x00").endswith(b"\xff\xd9")
