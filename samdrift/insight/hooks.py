"""Figures other capabilities add to an owner's month without insight importing them.

The circular capability (take-back) registers, from its AppConfig.ready(), a function through
`samdrift.insight.services.register_circular_source`:

    fn(first_month: date, last_month: date) -> {(owner_id, month): (credit SEK, CO2e avoided kg)}

and calls `samdrift.insight.services.request_refresh()` after it books credits. Until one is
registered the take-back figures stay at zero and the page says the capability is not in use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

CircularSource = Callable[[date, date], dict[tuple[int, date], tuple[Decimal, Decimal]]]

CIRCULAR_SOURCES: list[CircularSource] = []


def register_circular_source(source: CircularSource) -> None:
    if source not in CIRCULAR_SOURCES:
        CIRCULAR_SOURCES.append(source)
