"""Every string the consoles show has its Hindi, with the same placeholders; money and times are Indian."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lightspeedpay.dashboard import i18n, messages

pytestmark = pytest.mark.fast


def test_every_console_string_has_a_hindi_translation():
    missing = messages.missing("hi")
    assert not missing, (
        "strings without Hindi (list them with `python -m lightspeedpay.dashboard.messages hi`): "
        + "; ".join(f"{m!r} at {where[0]}" for m, where in sorted(missing.items())[:20])
    )


def test_translations_keep_their_placeholders():
    wrong = []
    for message in i18n.catalog("hi"):
        if message.id and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            want = sorted(messages.PLACEHOLDER.findall(ids[0]))
            for s in strings:
                if sorted(messages.PLACEHOLDER.findall(s)) != want:
                    wrong.append((ids[0], s))
    assert not wrong, wrong


def test_rupees_in_lakh_and_crore_grouping_and_times_in_the_chosen_zone():
    i18n.use(i18n.Preferences(language="en"))
    assert i18n.inr(10_000_000) == "₹1,00,000.00"
    assert i18n.inr(1_234_567_850) == "₹1,23,45,678.50"
    moment = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
    assert "12:00" in i18n.when(moment)  # 06:30 UTC is noon in IST
    i18n.use(i18n.Preferences(language="hi", time_zone="UTC"))
    assert i18n.inr(10_000_000) == "₹1,00,000.00"
    assert "6:30" in i18n.when(moment)
    assert i18n.gettext("Overview") == "अवलोकन"
    i18n.use(i18n.Preferences())


def test_counts_take_the_singular_or_plural_in_both_languages():
    from lightspeedpay.dashboard import web

    page = web._environment().from_string(
        '{{ ngettext("%(n)s payment started", "%(n)s payments started", c, n=c | number) }}'
    )
    try:
        i18n.use(i18n.Preferences(language="en"))
        assert [page.render(c=c) for c in (1, 2, 1500)] == [
            "1 payment started",
            "2 payments started",
            "1,500 payments started",
        ]
        i18n.use(i18n.Preferences(language="hi"))
        assert [page.render(c=c) for c in (1, 2)] == ["1 भुगतान शुरू हुआ", "2 भुगतान शुरू हुए"]
        # a plural entry counts as translated only with every form
        assert "%(n)s payment started" not in messages.missing("hi")
    finally:
        i18n.use(i18n.Preferences())
