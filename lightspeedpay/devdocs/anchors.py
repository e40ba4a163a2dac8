"""Heading anchors as GitHub makes them, so that a link to `errors.md#refund_exceeds_paid` works on GitHub and on
the served page alike."""

from __future__ import annotations

import unicodedata


def slugify(text: str, seen: dict[str, int]) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped but `-` and `_`, spaces to `-`; repeats get
    -1, -2, … — so the pages' links work on GitHub and here alike."""
    slug = "".join(
        ch for ch in text.strip().lower() if ch in " -_" or unicodedata.category(ch)[0] in ("L", "N")
    ).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return f"{slug}-{count}" if count else slug
