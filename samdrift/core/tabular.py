"""One reader for every tabular file Samdrift receives (CSV and XLSX): imports, price lists,
supplier confirmations, usage files.

- CSV: UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252 (what Excel in
  Sweden writes); the delimiter is sniffed from the header line (`;` from Swedish Excel, `,` or a
  tab from other tools); old Mac line ends are read.
- XLSX: openpyxl in read-only mode, the first sheet; formulas are read as formulas (not the value
  they last showed), so that a formula is refused instead of imported as a stale number.
- One upload limit, `SAMDRIFT_IMPORT_MAX_BYTES`, and one row limit, `MAX_ROWS`.
- One rule for cells that look like formulas (`looks_like_formula`): a cell that starts with
  = + - @ (or a tab or carriage return) and is not a number is a formula, never imported as a
  value (CSV injection: it would run in the next spreadsheet that opens an export). A cell that an
  export of ours escaped with an apostrophe (see `samdrift.core.cells`) reads as the number it holds.

Errors are `ValidationError({"file": [...]})` with a message the user can act on (Swedish first).
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# A larger file is refused: a municipality's people or a supplier's price list fit well below this,
# a runaway export does not.
MAX_ROWS = 200_000
ALLOWED_EXTENSIONS = frozenset({".csv", ".txt", ".xlsx", ".xlsm", ".xls", ""})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What starts like a formula but is a value: -12,50 / +46 70-123 45 67 / (08) 123 45.
_NUMBER = re.compile(r"^[+-]?\(?\d[\d\s.,()/-]*$")


def file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def looks_like_formula(text: str) -> bool:
    """The one rule: a cell that a spreadsheet would run as a formula (and is not a number)."""
    return text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text.strip())


def formula_error(column: str, text: str) -> str:
    """The row error for a formula-looking cell, the same in every import."""
    return _("%(column)s begins with “%(char)s”: formulas are not imported. Enter the value itself.") % {
        "column": column,
        "char": text[0].strip() or _("a tab"),
    }


def normalise_header(value: str) -> str:
    """A header as compared: NFC, no BOM, case-folded, `_-.:*` as spaces, spaces collapsed."""
    text = unicodedata.normalize("NFC", value).replace("\ufeff", "").strip().casefold()
    for char in "_-.:*":
        text = text.replace(char, " ")
    return " ".join(text.split())


@dataclass
class Table:
    """A file as read: its format and its non-blank rows as (row number in the file, cells)."""

    file_format: str
    rows: list[tuple[int, list[str]]]

    @property
    def header(self) -> list[str]:
        return self.rows[0][1] if self.rows else []

    @property
    def body(self) -> list[tuple[int, list[str]]]:
        return self.rows[1:]


# --- uploads ---------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(settings.SAMDRIFT_IMPORT_MAX_BYTES)


def too_big(limit: int | None = None) -> ValidationError:
    limit = max_bytes() if limit is None else limit
    return file_error(
        _("The file is larger than %(limit)s. Split it into smaller files.") % {"limit": filesizeformat(limit)}
    )


def upload_name(uploaded_file: Any, default: str = "import.csv") -> str:
    """The uploaded file's own name without any path, at most 200 characters."""
    return os.path.basename(getattr(uploaded_file, "name", "") or default)[-200:] or default


def read_upload(uploaded_file: Any) -> tuple[str, bytes]:
    """(name, bytes) of an uploaded file, refused when missing, of another type or too large."""
    if uploaded_file is None:
        raise file_error(_("Choose a file to upload."))
    name = upload_name(uploaded_file)
    if os.path.splitext(name)[1].lower() not in ALLOWED_EXTENSIONS:
        raise file_error(_("Only CSV and Excel (.xlsx) files can be imported."))
    limit = max_bytes()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise too_big(limit)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data: bytes = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise too_big(limit)
    return name, data


def check_size(data: bytes) -> None:
    if len(data) > max_bytes():
        raise too_big()


# --- reading ---------------------------------------------------------------------------------


def read_table(data: bytes, filename: str = "", *, max_rows: int = MAX_ROWS) -> Table:
    """Read a CSV or XLSX file (told apart by its content, not its name); blank rows left out."""
    check_size(data)
    if not data.strip():
        raise file_error(_("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error(_("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."))
    if data.startswith(b"PK\x03\x04"):
        return Table("xlsx", _read_xlsx(data, max_rows))
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise file_error(_("The file is named .xlsx but is not an Excel workbook. Save it again from Excel."))
    return Table("csv", _read_csv(data, max_rows))


def cell_text(value: Any) -> str:
    """A spreadsheet value as the text an import reads: 12.0 → "12", a midnight date → its day."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | Decimal):
        return str(value)
    return _unescape(str(value).strip())


def _unescape(text: str) -> str:
    """`'+46701234567`, as our exports write a number that starts like a formula, is the number."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) and not looks_like_formula(text[1:]):
        return text[1:]
    return text


def _check_row_count(count: int, max_rows: int) -> None:
    if count > max_rows + 1:
        raise file_error(
            _("The file has more than %(max)s rows. Split it into smaller files.") % {"max": f"{max_rows:,}"}
        )


def _read_xlsx(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors for broken workbooks
        logger.info("unreadable workbook: %s", exc)
        raise file_error(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
    try:
        if not workbook.worksheets:
            raise file_error(_("The workbook has no sheets."))
        rows: list[tuple[int, list[str]]] = []
        try:
            for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                if any(cells):
                    rows.append((number, cells))
                    _check_row_count(len(rows), max_rows)
        except ValidationError:
            raise
        except Exception as exc:  # a sheet whose XML breaks part-way
            logger.info("unreadable sheet: %s", exc)
            raise file_error(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
        return rows
    finally:
        workbook.close()


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 (what Excel in Sweden writes)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise file_error(_("The file is not readable text (CSV) or an Excel workbook (XLSX).")) from exc
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:  # five bytes are undefined in Windows-1252 too
        raise file_error(_("The file is not readable text (CSV) or an Excel workbook (XLSX).")) from exc


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in sample)


def sniff_delimiter(text: str) -> str:
    """The header line decides: Excel in Sweden writes `;`, most other tools `,`, some a tab."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return max(";,\t", key=first_line.count)


def _read_csv(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    text = decode(data)
    if _looks_binary(text):
        raise file_error(_("The file is not readable text (CSV) or an Excel workbook (XLSX)."))
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=sniff_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            stripped = [_unescape(c.strip()) for c in cells]
            if any(stripped):
                rows.append((number, stripped))
                _check_row_count(len(rows), max_rows)
    except csv.Error as exc:
        raise file_error(
            _("The CSV file could not be read at row %(row)s: %(reason)s") % {"row": number + 1, "reason": exc}
        ) from exc
    return rows


def cells_by_name(header: Iterable[str]) -> dict[str, int]:
    """The position of each header as compared (`normalise_header`); the first one wins."""
    index: dict[str, int] = {}
    for position, text in enumerate(header):
        index.setdefault(normalise_header(text), position)
    return index
