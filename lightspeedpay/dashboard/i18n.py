"""The consoles' languages (English and Hindi): the request's locale, its translations, and formats for money,
numbers and times in the person's language and time zone.

Translations are the `.po` files under `locale/<language>/` (one per console area, so areas are edited apart),
read with Babel at first use and merged into one catalogue: no compiled `.mo` is kept in the repository.
Templates and Python call the same `gettext`, which reads the request's language from a context variable that
the console's pages set (never a per-request install on the shared Jinja environment)."""

from __future__ import annotations

import io
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: dict[str, str] = {"en": "English", "hi": "हिन्दी"}
DEFAULT_LANGUAGE = "en"
DEFAULT_TIME_ZONE = "Asia/Kolkata"
# Babel's Indian locales: lakh and crore grouping (₹1,00,000.00) in both languages
_BABEL_LOCALES = {"en": "en_IN", "hi": "hi_IN"}
# the zones a person may pick in the console: India first, then the zones of the teams that run payments with us
TIME_ZONES = ("Asia/Kolkata", "UTC", "Asia/Dubai", "Asia/Singapore", "Europe/London", "America/New_York")


@dataclass(frozen=True)
class Preferences:
    language: str = DEFAULT_LANGUAGE
    time_zone: str = DEFAULT_TIME_ZONE


_DEFAULT = Preferences()
_current: ContextVar[Preferences | None] = ContextVar("console_preferences", default=None)


def use(preferences: Preferences) -> None:
    """Set this request's language and zone (each request runs in its own context)."""
    _current.set(preferences)


def current() -> Preferences:
    return _current.get() or _DEFAULT


def pick_language(*candidates: str | None, accept_language: str = "") -> str:
    """The first supported language of the candidates (a person's setting, a cookie), else the browser's."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def valid_time_zone(name: str | None) -> str:
    try:
        ZoneInfo(name or "")
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIME_ZONE
    return str(name)


@cache
def catalog(language: str) -> Catalog:
    """Every `.po` file of a language merged (English has none: its strings are the message ids)."""
    merged = Catalog(locale=language, fuzzy=False)
    for path in sorted((LOCALE_DIR / language).glob("*.po")):
        with path.open("rb") as f:
            part = read_po(f, locale=language)
        for message in part:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    return merged


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog(language))
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    return translations(current().language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current().language).ngettext(singular, plural, n)


def _babel_locale() -> Locale:
    return Locale.parse(_BABEL_LOCALES.get(current().language, "en_IN"))


def _zone() -> tzinfo:
    return ZoneInfo(valid_time_zone(current().time_zone))


def inr(paise: int | None) -> str:
    """Paise as rupees with Indian grouping: 10000000 -> ₹1,00,000.00."""
    if paise is None:
        return "—"
    return format_currency(Decimal(paise) / 100, "INR", locale=_babel_locale())


def number(value: int | float | Decimal | None) -> str:
    return "—" if value is None else format_decimal(value, locale=_babel_locale())


def percent(ratio: float | Decimal | None, digits: int = 1) -> str:
    """A ratio (0.953) as a percentage (95.3%)."""
    if ratio is None:
        return "—"
    return format_percent(ratio, format="#,##0." + "0" * digits + "%", locale=_babel_locale())


def when(moment: datetime | None, form: str = "medium") -> str:
    """A moment in the person's zone and language (IST unless they chose another)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment, form, tzinfo=_zone(), locale=_babel_locale())


def day(value: date | None, form: str = "medium") -> str:
    """A calendar day (a settlement's, say) in the person's language: 5 Jan 2026, ५ जन॰ २०२६."""
    return "—" if value is None else format_date(value, form, locale=_babel_locale())


def zone_abbreviation() -> str:
    """IST, UTC, ...: printed beside times so nobody has to guess the zone."""
    return datetime.now(_zone()).strftime("%Z")


def iso_local(moment: datetime | None) -> str:
    """A moment in the person's zone for a datetime-local form field."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: str | None) -> datetime | None:
    """A datetime-local form field, read in the person's zone, as a UTC moment; None when empty or unreadable."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=_zone())
    return naive.astimezone(UTC)
