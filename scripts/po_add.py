"""Add translations to a console catalogue: `python scripts/po_add.py lightspeedpay/dashboard/locale/hi/<area>.po`
reads a Python dict literal {"English message": "अनुवाद", ...} on standard input and merges it into that file
(created if missing; entries it already has are replaced), sorted. What is still missing is listed by
`python -m lightspeedpay.dashboard.messages hi`."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def main() -> None:
    out = Path(sys.argv[1])
    language = out.parent.name
    pairs = ast.literal_eval(sys.stdin.read() or "{}")
    catalog = Catalog(locale=language, charset="utf-8")
    header: list[str] = []
    if out.exists():
        text = out.read_text("utf-8")
        header = [line for line in text.splitlines() if line.startswith("# ")][:3]
        with out.open("rb") as f:
            for message in read_po(f, locale=language):
                if message.id:
                    catalog.add(message.id, message.string)
    for english, translated in pairs.items():
        if english in catalog:
            del catalog[english]  # Catalog.add keeps an existing entry's string
        catalog.add(english, translated)
    with out.open("wb") as f:
        if header:
            f.write(("\n".join(header) + "\n\n").encode())
        write_po(f, catalog, width=120, omit_header=True, sort_output=True)


if __name__ == "__main__":
    main()
