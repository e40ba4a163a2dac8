"""`python -m lightspeedpay.devdocs sync` brings docs/developers/ up to date with the code: the samples copied
into the Markdown that includes them, errors.md generated from the error classes. `check` only says what is
stale (exit 1), as the tests do."""

from __future__ import annotations

import sys

from lightspeedpay.devdocs.service import sync


def main(argv: list[str]) -> int:
    if argv[1:] not in (["sync"], ["check"]):
        print("usage: python -m lightspeedpay.devdocs sync|check", file=sys.stderr)
        return 2
    stale = sync(write=argv[1] == "sync")
    for path in stale:
        print(f"{'updated' if argv[1] == 'sync' else 'stale'}: {path}")
    return 1 if stale and argv[1] == "check" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
