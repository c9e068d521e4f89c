"""Spreadsheet cells that stay data: exported text is never run as a formula (CSV/formula injection).

A ticket subject, a person's name or an article description is typed by someone we do not
control. Opened in Excel or LibreOffice, a CSV cell that starts with = + - @ (or a tab or carriage
return) is read as a formula, and an XLSX string that starts with = is written as one by openpyxl.
Every export writes its rows through these helpers: CSV text cells that would start a formula get a
leading apostrophe (OWASP's advice; spreadsheets show the text as typed), XLSX text is always
stored as text and keeps its exact value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_value(sheet: Any, value: Any) -> Any:
    """The value for `sheet.append`: text that openpyxl would take for a formula becomes a text cell."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    return [xlsx_value(sheet, value) for value in values]


class SafeWriter:
    """csv.writer whose rows cannot start a formula in a spreadsheet."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_value(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: Any, **kwargs: Any) -> SafeWriter:
    return SafeWriter(stream, **kwargs)
