"""One Swedish formatter for money and numbers on screen: thousands grouped with a no-break space,
a decimal comma, and `kr` after amounts (`21 331 000,00 kr`), whatever the request's language
(amounts are SEK, and a Swedish reader expects them so)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.numberformat import format as number_format

NBSP = "\u00a0"


def format_number(value: Any, decimals: int | None = None) -> str:
    """`21331000.5` → `21 331 000,5`; `decimals` fixes the number of decimals."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return number_format(
        number, ",", decimal_pos=decimals, grouping=3, thousand_sep=NBSP, force_grouping=True, use_l10n=False
    )


def format_money(value: Any) -> str:
    """An amount in SEK: two decimals, grouped, `kr` after it (`9 450,00 kr`)."""
    text = format_number(value, 2)
    return f"{text}{NBSP}kr" if text else ""
