"""Date and time columns for every list, rendered without a template per cell.

django-tables2's `DateColumn` and `DateTimeColumn` are template columns: each cell compiles
`{{ value|date:"…" }}` anew, which made a 50-row asset list with two date columns spend most of its
time compiling 100 templates. These render the same text (the same format names, the local time
zone for datetimes) straight through Django's formatter. They are registered with django-tables2's
column library, so a model's DateField or DateTimeField gets them without a table naming them;
`CoreConfig.ready()` imports this module before any table is defined.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import django_tables2 as tables
from django.utils import formats, timezone
from django_tables2.columns import library


def _format(value: Any, fmt: str) -> str:
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, fmt)


@library.register
class DateColumn(tables.DateColumn):
    """A date in `SHORT_DATE_FORMAT` (or `format`), exported as ISO 8601."""

    empty_values = (None, "")  # shown as the column's default, as the template column did
    renders_value_only = True  # core/tables.py writes its cells without django-tables2's machinery

    def __init__(self, format: str | None = None, short: bool = True, *args: Any, **kwargs: Any) -> None:
        super().__init__(format, short, *args, **kwargs)
        self.format = format or ("SHORT_DATE_FORMAT" if short else "DATE_FORMAT")

    def render(self, value: Any, **kwargs: Any) -> str:
        return _format(value, self.format) if isinstance(value, date) else str(value)


@library.register
class DateTimeColumn(tables.DateTimeColumn):
    """A moment in the local time zone in `SHORT_DATETIME_FORMAT` (or `format`), exported as ISO 8601."""

    empty_values = (None, "")
    renders_value_only = True

    def __init__(self, format: str | None = None, short: bool = True, *args: Any, **kwargs: Any) -> None:
        super().__init__(format, short, *args, **kwargs)
        self.format = format or ("SHORT_DATETIME_FORMAT" if short else "DATETIME_FORMAT")

    def render(self, value: Any, **kwargs: Any) -> str:
        return _format(value, self.format) if isinstance(value, date) else str(value)


def _remember_signatures() -> None:
    """django-tables2 reads the signature of a column's `render` for every cell (`inspect.signature`,
    about a fifth of a list page's time); a function's signature does not change, so read it once."""
    from django_tables2 import utils

    if getattr(utils.signature, "remembers", False):
        return
    read = utils.signature
    known: dict[Any, Any] = {}

    def signature(fn: Any) -> Any:
        func = getattr(fn, "__func__", None)
        key = (func, "method") if func is not None else fn
        try:
            return known[key]
        except (KeyError, TypeError):
            pass
        result = read(fn)
        if len(known) < 4096:
            try:
                known[key] = result
            except TypeError:
                pass
        return result

    signature.remembers = True  # type: ignore[attr-defined]
    utils.signature = signature


_remember_signatures()
