"""Chart specifications for the consoles' uPlot charts (console.js draws them): columns of numbers, x in Unix
seconds, series labelled in the person's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from lightspeedpay.dashboard import i18n


def _(message: str) -> str:
    return message


def unix(moment: str | datetime) -> int:
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return int(value.timestamp())


def spec(
    x: Sequence[int],
    series: Sequence[tuple[str, Sequence[float | int | None]]],
    *,
    height: int = 220,
    max_points: int = 720,
    formats: Sequence[str | None] = (),
    x_label: str | None = None,
    styles: Sequence[dict[str, Any] | None] = (),
) -> str:
    """The `data-chart` attribute: {"series": [{"label", "format"}], "data": [[x...], [y...]...]}. `styles` gives
    a series its own look (uPlot's `color`, `dash` such as [6, 4], `width`), say a previous period beside the
    current one."""
    payload: dict[str, Any] = {
        "series": [
            {
                "label": label,
                **({"format": formats[i]} if i < len(formats) and formats[i] else {}),
                **((styles[i] or {}) if i < len(styles) else {}),
            }
            for i, (label, _) in enumerate(series)
        ],
        "data": [list(x), *[list(values) for _, values in series]],
        "height": height,
        "x_label": x_label if x_label is not None else i18n.gettext(_("Time")),
        "max_points": max_points,
    }
    return orjson.dumps(payload).decode()
