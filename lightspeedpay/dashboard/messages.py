"""The consoles' message ids, extracted from their templates and Python with Babel: what a translation must cover
(tests/dashboard/test_translations.py) and what `python -m lightspeedpay.dashboard.messages hi` lists as missing,
as a `.po` file to fill in."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from lightspeedpay.dashboard import i18n

HERE = Path(__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def extract() -> dict[str, list[str]]:
    """message id -> where it is used ('file:line')."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(HERE),
        METHODS,
        options_map=OPTIONS,
        keywords={"_": None, "_lazy": None, "gettext": None, "ngettext": (1, 2)},
    ):
        # an ngettext's (singular, plural) is one catalogue entry, found by its singular
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid and msgid.strip():
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def _translated(entry: object) -> bool:
    string = getattr(entry, "string", None)
    return all(string) if isinstance(string, tuple) else bool(string)


def missing(language: str) -> dict[str, list[str]]:
    have = i18n.catalog(language)
    return {m: where for m, where in extract().items() if not _translated(have.get(m))}


def main() -> None:
    language = sys.argv[1] if len(sys.argv) > 1 else "hi"
    todo = Catalog(locale=language)
    for msgid, where in sorted(missing(language).items()):
        todo.add(msgid, "", locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where])
    write_po(sys.stdout.buffer, todo, width=120, omit_header=True)


if __name__ == "__main__":
    main()
