"""Import of assets from CSV or XLSX: supplier delivery files and MDM exports (importera tillgångar).

The pattern is the people import's (`samdrift.tenancy.imports`): the file is stored first
(`do_upload_asset_import`), so nothing received is lost; the user chooses which column holds which
field (`do_set_import_columns`, optionally saved by name for one owner or for every owner); the
dry run (`check_asset_import`) reads the stored file, checks every row against the database and
stores a row-by-row report, writing no asset; `do_commit_asset_import` checks the file again inside
one transaction and writes every row or, if anything differs or fails, none.

Large files run as tasks (`start_check`, `start_commit` decide) with their progress on the batch.
The work is set-based: the catalogue, the owner's org units, cost centres and sites are read once,
the assets a file refers to in one query per 5,000 rows, rows are checked in memory and written
with bulk_create / bulk_update, and the audit events are recorded in bulk.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from samdrift.assets.models import (
    Asset,
    AssetAssignment,
    AssetImport,
    AssetImportMapping,
    AssetImportRow,
    AssetModel,
    AssetStatus,
    ImportState,
    Manufacturer,
    Site,
)
from samdrift.assets.permissions import WRITE_ROLES
from samdrift.core.access import require_role
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.jobs import set_progress
from samdrift.core.models import AuditEventType
from samdrift.tenancy.imports import MAX_ROWS, _cell_text, _file_error, _normalise_header, read_table
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner

logger = logging.getLogger(__name__)

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
LOOKUP_CHUNK = 5000
BULK_BATCH_SIZE = 1000
# Up to this many rows the dry run and the import run in the request; larger files run as tasks.
SYNC_ROWS = 2000
ALLOWED_EXTENSIONS = {".csv", ".txt", ".xlsx", ".xlsm", ".xls", ""}

# The fields a file may fill, in the order the mapping page shows them, with the headers that
# are recognised for each when no saved mapping is chosen (compared after _normalise_header).
FIELDS: tuple[str, ...] = (
    "asset_tag",
    "serial_number",
    "manufacturer",
    "model",
    "status",
    "org_unit",
    "cost_centre",
    "site",
    "purchase_date",
    "price",
    "supplier",
    "order_reference",
    "warranty_end",
    "lease_end",
    "hostname",
    "hardware_uuid",
    "notes",
)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "asset_tag": ("inventarienummer", "inventarienr", "asset tag", "tag", "stöldmärkning", "asset number"),
    "serial_number": ("serienummer", "serienr", "serial number", "serial", "serial no", "sn", "s/n"),
    "manufacturer": ("tillverkare", "märke", "manufacturer", "make", "brand"),
    "model": ("modell", "model", "model name", "produkt", "product"),
    "status": ("status",),
    "org_unit": ("enhet", "org unit", "organisationsenhet", "unit"),
    "cost_centre": ("kostnadsställe", "cost centre", "cost center"),
    "site": ("plats", "site", "location", "placering"),
    "purchase_date": ("inköpsdatum", "leveransdatum", "purchase date", "delivery date", "order date"),
    "price": ("pris", "styckpris", "à-pris", "a-pris", "price", "unit price", "cost"),
    "supplier": ("leverantör", "supplier"),
    "order_reference": ("ordernummer", "ordernr", "beställningsnummer", "order number", "order reference", "po"),
    "warranty_end": ("garanti till", "garantislut", "warranty end", "warranty expiration", "warranty"),
    "lease_end": ("leasing till", "leasingslut", "lease end", "lease expiration"),
    "hostname": ("datornamn", "värdnamn", "host name", "hostname", "device name", "computer name"),
    "hardware_uuid": ("uuid", "hardware uuid", "hårdvaru-uuid", "smbios uuid"),
    "notes": ("anteckning", "anteckningar", "notes", "note", "comment", "kommentar"),
}
_HEADER_LOOKUP = {_normalise_header(a): name for name, aliases in HEADER_ALIASES.items() for a in aliases}
DATE_FIELDS = frozenset({"purchase_date", "warranty_end", "lease_end"})
TEXT_FIELDS = ("supplier", "order_reference", "hostname", "hardware_uuid", "notes")
# Fields kept on the asset as given (the others are looked up or parsed).
STATUS_VALUES: dict[str, str] = {
    "i lager": AssetStatus.IN_STOCK,
    "lager": AssetStatus.IN_STOCK,
    "in stock": AssetStatus.IN_STOCK,
    "in_stock": AssetStatus.IN_STOCK,
    "stock": AssetStatus.IN_STOCK,
    "beställd": AssetStatus.ORDERED,
    "bestalld": AssetStatus.ORDERED,
    "ordered": AssetStatus.ORDERED,
}
DATE_ORDERS = {"dmy": gettext_lazy("day/month/year"), "mdy": gettext_lazy("month/day/year")}
# A cell beginning with one of these is a spreadsheet formula (or could be read as one by the
# next program that opens an export of the register): never imported.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d[\d\s.,]*$")


def field_label(name: str) -> str:
    return str(getattr(Asset._meta.get_field(name), "verbose_name", name))


def importer_role(actor: Any, owner_id: int | None = None) -> str:
    operator_roles, owner_roles = WRITE_ROLES["asset"]
    return require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


# --- reading files ---------------------------------------------------------------------------


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's non-blank rows. Formulas are read as formulas (not their cached results),
    so that a formula in a cell is refused instead of imported as whatever it last showed."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors for broken workbooks
        logger.info("unreadable workbook: %s", exc)
        raise _file_error(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
    try:
        if not workbook.worksheets:
            raise _file_error(_("The workbook has no sheets."))
        rows: list[tuple[int, list[str]]] = []
        try:
            for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                if any(cells):
                    rows.append((number, cells))
                    if len(rows) > MAX_ROWS + 1:
                        raise _file_error(
                            _("The file has more than %(max)s rows. Split it into smaller files.")
                            % {"max": f"{MAX_ROWS:,}"}
                        )
        except ValidationError:
            raise
        except Exception as exc:  # a sheet whose XML breaks part-way
            logger.info("unreadable sheet: %s", exc)
            raise _file_error(_("The file could not be read as an Excel workbook (.xlsx).")) from exc
        return rows
    finally:
        workbook.close()


def read_rows(data: bytes, filename: str = "") -> tuple[str, list[tuple[int, list[str]]]]:
    """(format, [(row number, cells)]) of a CSV or XLSX file; ValidationError if it is unusable."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx", _read_xlsx(data)
    try:
        return read_table(data, filename)
    except zipfile.BadZipFile as exc:  # pragma: no cover - read_table only opens zips it recognised
        raise _file_error(_("The file could not be read as an Excel workbook (.xlsx).")) from exc


def guess_columns(headers: list[str]) -> dict[str, str]:
    """The field each header is recognised as, when the user has not chosen: {field: header}."""
    found: dict[str, str] = {}
    for header in headers:
        name = _HEADER_LOOKUP.get(_normalise_header(header))
        if name and name not in found:
            found[name] = header
    return found


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    file_format: str


def map_rows(data: bytes, filename: str, columns: dict[str, str]) -> Table:
    """Read the file and pick, per row, the cells of the mapped columns: {field: text}."""
    file_format, table = read_rows(data, filename)
    if not table:
        raise _file_error(_("The file is empty."))
    (_number, header), *body = table
    index: dict[str, int] = {}
    for position, text in enumerate(header):
        index.setdefault(_normalise_header(text), position)
    positions: dict[str, int] = {}
    missing: list[str] = []
    for name, wanted in columns.items():
        if not wanted:
            continue
        found = index.get(_normalise_header(wanted))
        if found is None:
            missing.append(f"“{wanted}” ({field_label(name)})")
        else:
            positions[name] = found
    if missing:
        raise _file_error(
            _("The file has no column %(columns)s. Choose the columns again.") % {"columns": ", ".join(missing)}
        )
    if not body:
        raise _file_error(_("The file has column names but no rows."))
    rows = [(n, {name: (cells[i] if i < len(cells) else "") for name, i in positions.items()}) for n, cells in body]
    return Table(headers=[h for h in header if h], rows=rows, file_format=file_format)


# --- parsing values --------------------------------------------------------------------------


def parse_date(text: str, order: str = "dmy") -> date | None:
    """ISO dates (and ISO date-times, as MDM exports write them), YYYYMMDD, D.M.YYYY, and D/M/YYYY
    or M/D/YYYY as chosen. Returns None when the text is not a date."""
    text = text.strip()
    iso = re.match(
        r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$", text
    )
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        dotted = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", text)
        if dotted:
            return date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
        slashed = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?$", text, re.I)
        if slashed:
            first, second, year = int(slashed[1]), int(slashed[2]), int(slashed[3])
            day, month = (second, first) if order == "mdy" else (first, second)
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_price(text: str) -> Decimal | None:
    """A price in SEK as people write it: 12 345,50 / 12345.50 / 12 345 kr. None if not a price."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    cleaned = re.sub(r"(?i)(kr|sek|:-)$", "", cleaned)
    if not re.fullmatch(r"-?\d[\d.,]*", cleaned):
        return None
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        whole, _sep, part = cleaned.rpartition(",")
        cleaned = (
            cleaned.replace(",", "")
            if len(part) == 3 and cleaned.count(",") > 1
            else whole.replace(",", "") + "." + part
        )
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text)


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class RowPlan:
    row: int
    key: str = ""
    action: str = ""
    existing: Asset | None = None
    values: dict[str, Any] = field(default_factory=dict)  # field -> value to write (objects for FKs)
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [before, after], as shown
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    model_given: bool = False


@dataclass
class Plan:
    owner: Owner
    file_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[RowPlan] = field(default_factory=list)
    file_format: str = ""

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(r.action == ERROR for r in self.rows)

    def counts(self) -> dict[str, int]:
        counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0}
        for r in self.rows:
            counts[r.action] += 1
        return {"rows": len(self.rows), **counts}

    def fingerprint(self) -> str:
        """What the rows would change, independent of the language of the messages."""
        digest = hashlib.sha256()
        for r in self.rows:
            item = [r.row, r.action, r.key, r.existing.pk if r.existing else None, r.changes]
            digest.update(json.dumps(item, sort_keys=True, default=str).encode())
        digest.update(json.dumps(self.file_errors).encode())
        return digest.hexdigest()


def _display(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, AssetModel):
        return f"{value.manufacturer.name} {value.name}"
    if isinstance(value, OrgUnit | CostCentre):
        return value.code
    if isinstance(value, Site):
        return value.name
    if isinstance(value, date | Decimal):
        return str(value)
    return value


class _Catalogue:
    """Manufacturers (with aliases) and models, read once; the catalogue is small."""

    def __init__(self) -> None:
        makers = list(Manufacturer.objects.filter(active=True))
        self.makers: dict[str, Manufacturer] = {}
        for m in makers:
            self.makers.setdefault(m.name.casefold(), m)
            for alias in (m.aliases or "").split(","):
                if alias.strip():
                    self.makers.setdefault(alias.strip().casefold(), m)
        self.by_maker: dict[tuple[int, str], AssetModel] = {}
        self.by_name: dict[str, list[AssetModel]] = {}
        for model in AssetModel.objects.filter(active=True).select_related("manufacturer"):
            self.by_maker[(model.manufacturer_id, model.name.casefold())] = model
            self.by_name.setdefault(model.name.casefold(), []).append(model)
            # "Lenovo ThinkPad T14" in one column: the manufacturer's name then the model's.
            full = f"{model.manufacturer.name} {model.name}".casefold()
            self.by_name.setdefault(full, []).append(model)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


def build_plan(
    owner: Owner,
    table: Table,
    options: dict[str, Any],
    *,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Check every row of `table` for `owner`, in memory after a few bulk reads."""
    plan = Plan(owner=owner, file_format=table.file_format)
    date_order = options.get("date_order", "dmy")
    default_status = options.get("default_status") or AssetStatus.IN_STOCK
    tag_from_serial = bool(options.get("tag_from_serial", True))
    catalogue = _Catalogue()
    units = {u.code.casefold(): u for u in OrgUnit.objects.filter(owner=owner)}
    centres = {c.code.casefold(): c for c in CostCentre.objects.filter(owner=owner)}
    sites = {s.name.casefold(): s for s in Site.objects.filter(owner=owner)}

    serials = sorted({v.get("serial_number", "").strip() for _n, v in table.rows} - {""})
    tags = sorted({v.get("asset_tag", "").strip() for _n, v in table.rows} - {""})
    by_serial: dict[str, list[Asset]] = {}
    for chunk in _chunks(serials):
        for a in Asset.objects.filter(serial_number__in=chunk):
            by_serial.setdefault(a.serial_number, []).append(a)
    by_tag: dict[str, Asset] = {}
    for chunk in _chunks(tags):
        for a in Asset.objects.filter(owner=owner, asset_tag__in=chunk):
            by_tag[a.asset_tag] = a
    if progress:
        progress(10)

    seen_serial: dict[tuple[int, str], int] = {}
    seen_tag: dict[str, int] = {}
    fk_labels = {
        "org_unit": {u.pk: u.code for u in units.values()},
        "cost_centre": {c.pk: c.code for c in centres.values()},
        "site": {s.pk: s.name for s in sites.values()},
        "model": {m.pk: _display(m) for models in catalogue.by_name.values() for m in models},
    }
    total = len(table.rows)
    for index, (number, values) in enumerate(table.rows):
        row = RowPlan(row=number)
        plan.rows.append(row)
        _check_row(row, values, catalogue, units, centres, sites, by_serial, by_tag, date_order)
        _finish_row(row, owner, default_status, tag_from_serial, seen_serial, seen_tag, fk_labels)
        if progress and index % 5000 == 4999:
            progress(10 + int(80 * (index + 1) / total))
    return plan


def _check_row(
    row: RowPlan,
    values: dict[str, str],
    catalogue: _Catalogue,
    units: dict[str, OrgUnit],
    centres: dict[str, CostCentre],
    sites: dict[str, Site],
    by_serial: dict[str, list[Asset]],
    by_tag: dict[str, Asset],
    date_order: str,
) -> None:
    """Parse the row's cells into `row.values`; errors go to `row.errors`."""
    wanted: dict[str, Any] = {}
    for name, raw in values.items():
        text = raw.strip()
        if text and looks_like_formula(text):
            row.errors.append(
                _("%(column)s begins with “%(char)s”: formulas are not imported. Enter the value itself.")
                % {"column": field_label(name), "char": text[0].strip() or _("a tab")}
            )
            continue
        if not text:
            continue
        limit = getattr(Asset._meta.get_field(name), "max_length", None)
        if name in {"asset_tag", "serial_number", *TEXT_FIELDS} and limit and len(text) > limit:
            row.errors.append(
                _("%(column)s is too long: %(length)s characters, at most %(limit)s.")
                % {"column": field_label(name), "length": len(text), "limit": limit}
            )
            continue
        if name in DATE_FIELDS:
            parsed = parse_date(text, date_order)
            if parsed is None:
                row.errors.append(
                    _("%(column)s “%(value)s” is not a date; write it as YYYY-MM-DD.")
                    % {"column": field_label(name), "value": text}
                )
            elif not date(1990, 1, 1) <= parsed <= date(2100, 12, 31):
                row.errors.append(
                    _("%(column)s %(value)s is outside 1990–2100.") % {"column": field_label(name), "value": parsed}
                )
            else:
                wanted[name] = parsed
        elif name == "price":
            price = parse_price(text)
            if price is None:
                row.errors.append(_("Price “%(value)s” is not an amount in SEK.") % {"value": text})
            elif price < 0:
                row.errors.append(_("Price %(value)s is negative.") % {"value": text})
            elif price != price.quantize(Decimal("0.01")) or price >= Decimal("1e12"):
                row.errors.append(_("Price %(value)s has more than two decimals or is too large.") % {"value": text})
            else:
                wanted[name] = price.quantize(Decimal("0.01"))
        elif name in {"org_unit", "cost_centre", "site"}:
            lookup: dict[str, Any] = {"org_unit": units, "cost_centre": centres, "site": sites}[name]  # type: ignore[assignment]
            found = lookup.get(text.casefold())
            if found is None:
                row.errors.append(
                    _("%(column)s “%(value)s” does not exist at this owner.")
                    % {"column": field_label(name), "value": text}
                )
            else:
                wanted[name] = found
        elif name == "status":
            status = STATUS_VALUES.get(text.casefold())
            if status is None:
                row.errors.append(
                    _("Status “%(value)s”: a file registers devices as ordered or in stock (beställd, i lager).")
                    % {"value": text}
                )
            else:
                wanted[name] = status
        else:
            wanted[name] = text

    # Model and manufacturer: the model decides the manufacturer.
    maker_text, model_text = wanted.pop("manufacturer", ""), wanted.pop("model", "")
    maker = None
    if maker_text:
        maker = catalogue.makers.get(maker_text.casefold())
        if maker is None:
            row.errors.append(
                _("Unknown manufacturer “%(value)s”; add it to the catalogue first.") % {"value": maker_text}
            )
    if model_text:
        if maker is not None:
            model = catalogue.by_maker.get((maker.pk, model_text.casefold()))
            candidates = (
                [model]
                if model
                else [m for m in catalogue.by_name.get(model_text.casefold(), []) if m.manufacturer_id == maker.pk]
            )
        elif maker_text:
            candidates = []
        else:
            candidates = list({m.pk: m for m in catalogue.by_name.get(model_text.casefold(), [])}.values())
        if len(candidates) == 1:
            wanted["model"] = candidates[0]
        elif len(candidates) > 1:
            row.errors.append(
                _("The model “%(value)s” is made by several manufacturers; add a manufacturer column.")
                % {"value": model_text}
            )
        elif maker is not None or not maker_text:
            row.errors.append(_("Unknown model “%(value)s”; add it to the catalogue first.") % {"value": model_text})

    serial = wanted.get("serial_number", "")
    tag = wanted.get("asset_tag", "")
    row.key = tag or serial
    row.model_given = bool(model_text)
    model = wanted.get("model")
    found_by_serial = None
    if serial:
        maker_id = model.manufacturer_id if model else (maker.pk if maker else None)
        matches = by_serial.get(serial, [])
        if maker_id is not None:
            matches = [a for a in matches if a.manufacturer_id == maker_id]
        if len(matches) == 1:  # without a model, a serial made by two makers matches nothing
            found_by_serial = matches[0]
    found_by_tag = by_tag.get(tag) if tag else None
    row.values = wanted
    row.existing = found_by_serial or found_by_tag
    if found_by_serial is not None and found_by_tag is not None and found_by_serial.pk != found_by_tag.pk:
        row.errors.append(
            _("Serial number %(serial)s and asset tag %(tag)s belong to two different assets.")
            % {"serial": serial, "tag": tag}
        )
    elif (
        found_by_serial is None
        and found_by_tag is not None
        and serial
        and found_by_tag.serial_number not in ("", serial)
    ):
        row.errors.append(
            _("Asset tag %(tag)s has the serial number %(other)s, not %(serial)s.")
            % {"tag": tag, "other": found_by_tag.serial_number, "serial": serial}
        )


def _finish_row(
    row: RowPlan,
    owner: Owner,
    default_status: str,
    tag_from_serial: bool,
    seen_serial: dict[tuple[int, str], int],
    seen_tag: dict[str, int],
    fk_labels: dict[str, dict[int, str]],
) -> None:
    wanted = row.values
    existing = row.existing
    serial = wanted.get("serial_number", "")
    if existing is not None and existing.owner_id != owner.pk:
        row.errors.append(
            _("Serial number %(serial)s is already registered for another owner; move the asset instead.")
            % {"serial": serial}
        )
        existing = row.existing = None
    if existing is None:
        if not wanted.get("asset_tag") and serial and tag_from_serial:
            wanted["asset_tag"] = serial
            row.warnings.append(_("No asset tag: the serial number is used as the tag."))
        if not wanted.get("asset_tag"):
            row.errors.append(_("%(column)s is empty.") % {"column": field_label("asset_tag")})
        elif len(wanted["asset_tag"]) > 40:
            row.errors.append(_("The serial number is too long to be the asset tag; give an asset tag."))
        if "model" not in wanted and not row.model_given:
            row.errors.append(_("%(column)s is empty.") % {"column": field_label("model")})
        wanted.setdefault("status", default_status)
        row.key = wanted.get("asset_tag") or row.key
    else:
        row.key = existing.asset_tag
        if "status" in wanted and wanted["status"] != existing.status:
            row.warnings.append(_("The status of a registered asset changes only through its actions; ignored."))
        wanted.pop("status", None)
    # Duplicates within the file.
    maker_id = (
        wanted["model"].manufacturer_id if "model" in wanted else (existing.manufacturer_id if existing else None)
    )
    if serial and maker_id is not None:
        first = seen_serial.setdefault((maker_id, serial), row.row)
        if first != row.row:
            row.errors.append(
                _("Serial number %(serial)s is also on row %(row)s; each device may appear once.")
                % {"serial": serial, "row": first}
            )
    tag = wanted.get("asset_tag") or (existing.asset_tag if existing else "")
    if tag:
        first = seen_tag.setdefault(tag, row.row)
        if first != row.row:
            row.errors.append(
                _("Asset tag %(tag)s is also on row %(row)s; each tag may appear once.") % {"tag": tag, "row": first}
            )
    # What would change.
    if existing is None:
        row.changes = {k: [None, _display(v)] for k, v in wanted.items()}
    else:
        changes = {}
        for name, value in list(wanted.items()):
            if name in fk_labels:
                before_id = getattr(existing, f"{name}_id")
                if before_id != value.pk:
                    changes[name] = [fk_labels[name].get(before_id, before_id), _display(value)]
                else:
                    del wanted[name]
            elif getattr(existing, name) != value:
                changes[name] = [_display(getattr(existing, name)), _display(value)]
            else:
                del wanted[name]
        row.changes = changes
    if row.errors:
        row.action = ERROR
    elif existing is None:
        row.action = CREATE
    else:
        row.action = UPDATE if row.changes else UNCHANGED


# --- actions ---------------------------------------------------------------------------------


def _read_upload(uploaded_file: UploadedFile) -> bytes:
    limit = settings.SAMDRIFT_IMPORT_MAX_BYTES
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise _too_big(limit)
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise _too_big(limit)
    return data


def _too_big(limit: int) -> ValidationError:
    from django.template.defaultfilters import filesizeformat

    return _file_error(
        _("The file is larger than %(limit)s. Split it into smaller files.") % {"limit": filesizeformat(limit)}
    )


def do_upload_asset_import(
    owner: Owner,
    uploaded_file: UploadedFile | None,
    *,
    actor: Any,
    mapping: AssetImportMapping | None = None,
) -> AssetImport:
    """Store an uploaded file of assets for `owner` (importfil). A file that cannot be read at all
    (empty, not CSV or XLSX, too large, no rows) is refused with its reason and stores nothing;
    a readable file is kept whatever its rows hold. The columns are then guessed from the
    headers, or taken from a saved mapping."""
    role = importer_role(actor, owner.pk)
    if uploaded_file is None:
        raise _file_error(_("Choose a file to upload."))
    name = os.path.basename(uploaded_file.name or "import.csv")[-200:] or "import.csv"
    if os.path.splitext(name)[1].lower() not in ALLOWED_EXTENSIONS:
        raise _file_error(_("Only CSV and Excel (.xlsx) files can be imported."))
    data = _read_upload(uploaded_file)
    file_format, table = read_rows(data, name)
    if not table:
        raise _file_error(_("The file is empty."))
    headers = [h for h in table[0][1] if h]
    if not headers:
        raise _file_error(_("The first row must hold the column names."))
    if len(table) < 2:
        raise _file_error(_("The file has column names but no rows."))
    if mapping is not None and mapping.owner_id not in (None, owner.pk):
        raise ValidationError({"mapping": [_("This mapping belongs to another owner.")]})
    columns = dict(mapping.columns) if mapping is not None else guess_columns(headers)
    options = dict(mapping.options) if mapping is not None else {}
    with transaction.atomic():
        batch = AssetImport(
            owner=owner,
            original_filename=name,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            file_format=file_format,
            headers=headers,
            columns=columns,
            options=options,
            mapping=mapping,
            row_count=len(table) - 1,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        batch.file.save(name, ContentFile(data), save=False)
        try:
            batch.save(force_insert=True)
            record_event(
                actor,
                role,
                AuditEventType.CREATED,
                batch,
                changes={"original_filename": [None, name], "size": [None, len(data)], "sha256": [None, batch.sha256]},
                extra={"action": "upload_asset_import", "rows": batch.row_count},
            )
        except BaseException:
            batch.file.delete(save=False)  # the row is rolled back, so the file would be an orphan
            raise
    return batch


def check_columns(batch: AssetImport, columns: dict[str, str]) -> dict[str, str]:
    """Keep the chosen columns that exist; a column may hold one field only."""
    errors = []
    chosen: dict[str, str] = {}
    used: dict[str, str] = {}
    headers = {_normalise_header(h) for h in batch.headers}
    for name in FIELDS:
        header = (columns.get(name) or "").strip()
        if not header:
            continue
        key = _normalise_header(header)
        if key not in headers:
            errors.append(_("The file has no column “%(column)s”.") % {"column": header})
        elif key in used:
            errors.append(
                _("The column “%(column)s” is chosen for both %(first)s and %(second)s.")
                % {"column": header, "first": field_label(used[key]), "second": field_label(name)}
            )
        else:
            used[key] = name
            chosen[name] = header
    if not {"serial_number", "asset_tag"} & set(chosen):
        errors.append(_("Choose the column with the serial number or the asset tag: rows are matched by them."))
    if errors:
        raise ValidationError({"columns": errors})
    return chosen


def clean_options(options: dict[str, Any]) -> dict[str, Any]:
    status = options.get("default_status") or AssetStatus.IN_STOCK
    if status not in {AssetStatus.IN_STOCK, AssetStatus.ORDERED}:
        raise ValidationError({"default_status": [_("New devices are registered as ordered or in stock.")]})
    order = options.get("date_order") or "dmy"
    if order not in DATE_ORDERS:
        raise ValidationError({"date_order": [_("Unknown date order.")]})
    return {"default_status": str(status), "date_order": order, "tag_from_serial": bool(options.get("tag_from_serial"))}


@transaction.atomic
def do_set_import_columns(
    batch: AssetImport,
    columns: dict[str, str],
    options: dict[str, Any],
    *,
    actor: Any,
    save_as: str = "",
    shared: bool = False,
) -> AssetImport:
    """Choose which column holds which field; optionally keep the choice as a named mapping for
    this owner (or for every owner, `shared`), replacing a mapping of the same name."""
    role = importer_role(actor, batch.owner_id)
    batch = AssetImport.objects.select_for_update().get(pk=batch.pk)
    if batch.status in {ImportState.COMMITTED, ImportState.COMMITTING, ImportState.CHECKING}:
        raise ValidationError(
            _("The columns cannot be changed now (%(status)s).") % {"status": batch.get_status_display()}
        )
    chosen = check_columns(batch, columns)
    cleaned = clean_options(options)
    mapping = batch.mapping
    if save_as.strip():
        mapping = do_save_import_mapping(save_as.strip(), None if shared else batch.owner, chosen, cleaned, actor=actor)
    changes = {}
    if batch.columns != chosen:
        changes["columns"] = [batch.columns, chosen]
    if batch.options != cleaned:
        changes["options"] = [batch.options, cleaned]
    batch.columns, batch.options, batch.mapping = chosen, cleaned, mapping
    batch.status = ImportState.UPLOADED
    batch.save(update_fields=["columns", "options", "mapping", "status"])
    record_event(actor, role, AuditEventType.UPDATED, batch, changes=changes, extra={"action": "choose_columns"})
    return batch


def do_save_import_mapping(
    name: str, owner: Owner | None, columns: dict[str, str], options: dict[str, Any], *, actor: Any
) -> AssetImportMapping:
    """Save (or replace) a named column mapping for one owner, or for every owner."""
    role = importer_role(actor, owner.pk if owner else None)
    if len(name) > 100:
        raise ValidationError({"save_as": [_("The name is too long (at most 100 characters).")]})
    with transaction.atomic():
        mapping = AssetImportMapping.objects.select_for_update().filter(owner=owner, name=name).first()
        if mapping is None:
            mapping = AssetImportMapping.objects.create(
                name=name,
                owner=owner,
                columns=columns,
                options=options,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            record_event(
                actor,
                role,
                AuditEventType.CREATED,
                mapping,
                owner_id=owner.pk if owner else None,
                changes={
                    "name": [None, name],
                    "owner": [None, owner.pk if owner else None],
                    "columns": [None, columns],
                },
            )
        else:
            changes = {
                "columns": [mapping.columns, columns],
                "options": [mapping.options, options],
                "active": [mapping.active, True],
            }
            mapping.columns, mapping.options, mapping.active = columns, options, True
            mapping.save(update_fields=["columns", "options", "active"])
            record_event(
                actor, role, AuditEventType.UPDATED, mapping, owner_id=owner.pk if owner else None, changes=changes
            )
    return mapping


@transaction.atomic
def do_set_import_mapping_active(mapping: AssetImportMapping, active: bool, *, actor: Any) -> AssetImportMapping:
    """Withdraw a saved mapping from the choices (or offer it again); it stays on past imports."""
    role = importer_role(actor, mapping.owner_id)
    if mapping.active == active:
        return mapping
    mapping.active = active
    mapping.save(update_fields=["active"])
    record_event(
        actor,
        role,
        AuditEventType.REACTIVATED if active else AuditEventType.DEACTIVATED,
        mapping,
        owner_id=mapping.owner_id,
        changes={"active": [not active, active]},
    )
    return mapping


def _read_stored(batch: AssetImport) -> bytes:
    with batch.file.open("rb") as handle:
        data: bytes = handle.read(settings.SAMDRIFT_IMPORT_MAX_BYTES + 1)
    return data


def plan_for(batch: AssetImport, *, progress: Callable[[int], None] | None = None) -> Plan:
    """Read the stored file with the chosen columns and check every row."""
    try:
        data = _read_stored(batch)
    except (OSError, ValueError) as exc:
        logger.warning("asset import %s: stored file unreadable: %s", batch.pk, exc)
        return Plan(owner=batch.owner, file_errors=[_("The stored file could not be read. Upload it again.")])
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        return Plan(
            owner=batch.owner, file_errors=[_("The stored file has changed since it was uploaded. Upload it again.")]
        )
    try:
        table = map_rows(data, batch.original_filename, batch.columns)
    except ValidationError as exc:
        return Plan(owner=batch.owner, file_errors=list(exc.messages))
    if progress:
        progress(5)
    return build_plan(batch.owner, table, batch.options, progress=progress)


def _progress_writer(batch: AssetImport) -> Callable[[int], None]:
    def write(percent: int) -> None:
        set_progress(batch, min(percent, 99), batch.message)

    return write


def _store_report(batch: AssetImport, plan: Plan, *, actor: Any, role: str, status: str | None = None) -> None:
    """Replace the batch's report rows and counts and audit the outcome. Call inside a transaction."""
    counts = plan.counts()
    before = batch.status
    batch.status = status or (ImportState.FAILED_VALIDATION if plan.has_errors else ImportState.VALIDATED)
    batch.file_errors = plan.file_errors
    batch.notes = plan.notes
    batch.fingerprint = plan.fingerprint()
    batch.row_count = counts["rows"] or batch.row_count
    batch.create_count = counts[CREATE]
    batch.update_count = counts[UPDATE]
    batch.unchanged_count = counts[UNCHANGED]
    batch.error_count = counts[ERROR]
    batch.checked_at = timezone.now()
    batch.progress = 100
    batch.save(
        update_fields=[
            "status",
            "file_errors",
            "notes",
            "fingerprint",
            "row_count",
            "create_count",
            "update_count",
            "unchanged_count",
            "error_count",
            "checked_at",
            "progress",
        ]
    )
    AssetImportRow.objects.filter(batch=batch).delete()
    AssetImportRow.objects.bulk_create(
        (
            AssetImportRow(
                owner_id=batch.owner_id,
                batch=batch,
                row=r.row,
                action=r.action,
                key=r.key[:200],
                changes=r.changes,
                errors=r.errors,
                warnings=r.warnings,
            )
            for r in plan.rows
        ),
        batch_size=2000,
    )
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        batch,
        changes={"status": [before, batch.status]} if before != batch.status else {},
        extra={"action": "check_asset_import", "counts": counts, "file_errors": plan.file_errors},
    )


def check_asset_import(batch: AssetImport, *, actor: Any, in_background: bool = False) -> AssetImport:
    """The dry run: check every row and store the report; no asset is written."""
    role = importer_role(actor, batch.owner_id)
    if batch.status == ImportState.COMMITTED:
        raise ValidationError(_("This file has already been imported."))
    plan = plan_for(batch, progress=_progress_writer(batch) if in_background else None)
    with transaction.atomic():
        locked = AssetImport.objects.select_for_update().get(pk=batch.pk)
        _store_report(locked, plan, actor=actor, role=role)
    batch.refresh_from_db()
    return batch


def _runs_in_background(batch: AssetImport) -> bool:
    return batch.row_count > settings.SAMDRIFT_ASSET_IMPORT_SYNC_ROWS


def start_check(batch: AssetImport, *, actor: Any) -> AssetImport:
    """Run the dry run now for a small file, or queue it as a task whose progress the page shows."""
    role = importer_role(actor, batch.owner_id)
    if not _runs_in_background(batch):
        return check_asset_import(batch, actor=actor)
    from samdrift.assets.tasks import check_asset_import_task

    with transaction.atomic():
        locked = AssetImport.objects.select_for_update().get(pk=batch.pk)
        if locked.is_running or locked.status == ImportState.COMMITTED:
            raise ValidationError(_("The file is being processed or already imported."))
        before = locked.status
        locked.status, locked.progress, locked.message = ImportState.CHECKING, 0, ""
        locked.save(update_fields=["status", "progress", "message"])
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            locked,
            changes={"status": [before, locked.status]},
            extra={"action": "queue_check"},
        )
        actor_id = getattr(actor, "pk", None)
        transaction.on_commit(lambda: check_asset_import_task.enqueue(locked.pk, actor_id))
    return locked


def start_commit(batch: AssetImport, *, actor: Any) -> AssetImport:
    """Import now for a small file, or queue the import as a task."""
    role = importer_role(actor, batch.owner_id)
    if not _runs_in_background(batch):
        return do_commit_asset_import(batch, actor=actor)
    from samdrift.assets.tasks import commit_asset_import_task

    with transaction.atomic():
        locked = AssetImport.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportState.VALIDATED:
            raise ValidationError(_("Run the dry run and correct every error before importing."))
        locked.status, locked.message = ImportState.COMMITTING, ""
        locked.save(update_fields=["status", "message"])
        record_event(
            actor,
            role,
            AuditEventType.UPDATED,
            locked,
            changes={"status": [ImportState.VALIDATED, ImportState.COMMITTING]},
            extra={"action": "queue_import"},
        )
        actor_id = getattr(actor, "pk", None)
        transaction.on_commit(lambda: commit_asset_import_task.enqueue(locked.pk, actor_id))
    return locked


class _Rejected(Exception):
    def __init__(self, plan: Plan, message: str) -> None:
        super().__init__(message)
        self.plan = plan
        self.message = message


def do_commit_asset_import(batch: AssetImport, *, actor: Any) -> AssetImport:
    """Import a checked file: every row is written, or, if any row fails, none is.

    The file is read and checked again inside the transaction; if the outcome differs from the
    dry run the user confirmed (someone changed the register meanwhile), nothing is written and
    the new report is stored for the user to confirm instead.
    """
    role = importer_role(actor, batch.owner_id)
    try:
        with transaction.atomic():
            locked = AssetImport.objects.select_for_update().select_related("owner").get(pk=batch.pk)
            if locked.status == ImportState.COMMITTED:
                raise ValidationError(_("This file has already been imported."))
            if locked.status not in {ImportState.VALIDATED, ImportState.COMMITTING}:
                raise ValidationError(_("Run the dry run and correct every error before importing."))
            plan = plan_for(locked)
            if plan.has_errors:
                raise _Rejected(plan, _("The file has errors; nothing was imported. See the report."))
            if plan.fingerprint() != locked.fingerprint:
                raise _Rejected(
                    plan,
                    _(
                        "The register has changed since the dry run; nothing was imported. Check the new report and confirm again."
                    ),
                )
            events = _apply(plan, locked)
            counts = plan.counts()
            before = locked.status
            locked.status = ImportState.COMMITTED
            locked.committed_at = timezone.now()
            locked.committed_by = actor if getattr(actor, "pk", None) else None
            locked.progress = 100
            locked.save(update_fields=["status", "committed_at", "committed_by", "progress"])
            events.append(
                PendingEvent(
                    event_type=AuditEventType.IMPORTED,
                    obj=locked,
                    changes={"status": [before, ImportState.COMMITTED]},
                    extra={"import": locked.pk, "counts": counts, "sha256": locked.sha256},
                )
            )
            record_events(actor, role, events)
    except _Rejected as rejected:
        with transaction.atomic():
            locked = AssetImport.objects.select_for_update().get(pk=batch.pk)
            _store_report(locked, rejected.plan, actor=actor, role=role)
            AssetImport.objects.filter(pk=batch.pk).update(message=rejected.message[:500])
        batch.refresh_from_db()
        raise ValidationError(rejected.message) from None
    except DatabaseError as exc:
        # A unique constraint hit by a concurrent change, or the database went away: everything
        # is rolled back and the stored file can be checked and imported again.
        logger.exception("asset import %s failed", batch.pk)
        message = _("The import stopped with a database error; nothing was imported. Run the dry run again and retry.")
        with transaction.atomic():
            previous = AssetImport.objects.filter(pk=batch.pk).values_list("status", flat=True).first()
            AssetImport.objects.filter(pk=batch.pk).update(status=ImportState.ERROR, message=message[:500])
            record_event(
                actor,
                role,
                AuditEventType.UPDATED,
                batch,
                changes={"status": [previous, ImportState.ERROR]},
                extra={"error": type(exc).__name__, "integrity": isinstance(exc, IntegrityError)},
            )
        batch.refresh_from_db()
        raise ValidationError(message) from exc
    batch.refresh_from_db()
    return batch


def _audit_value(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def _apply(plan: Plan, batch: AssetImport) -> list[PendingEvent]:
    """Write the planned rows in bulk; return their audit events. Call inside the transaction."""
    now = timezone.now()
    extra = {"action": "import", "import": batch.pk}
    created: list[tuple[RowPlan, Asset]] = []
    for row in plan.rows:
        if row.action != CREATE:
            continue
        values = row.values
        asset = Asset(owner_id=batch.owner_id, created=now, manufacturer_id=values["model"].manufacturer_id, **values)
        created.append((row, asset))
    Asset.objects.bulk_create([a for _r, a in created], batch_size=BULK_BATCH_SIZE)
    assignments = [
        AssetAssignment(
            owner_id=a.owner_id,
            asset_id=a.pk,
            cost_centre_id=a.cost_centre_id,
            org_unit_id=a.org_unit_id,
            started_at=now,
            reason="import",
        )
        for _r, a in created
    ]
    events = [
        PendingEvent(
            event_type=AuditEventType.CREATED,
            obj=asset,
            changes={"owner": [None, batch.owner_id], **{k: [None, _audit_value(v)] for k, v in row.values.items()}},
            extra={**extra, "row": row.row},
        )
        for row, asset in created
    ]

    by_fields: dict[tuple[str, ...], list[Asset]] = {}
    moved: list[Asset] = []
    for row in plan.rows:
        if row.action != UPDATE:
            continue
        target = row.existing
        assert target is not None
        changes = {}
        fields = set(row.values)
        for name, value in row.values.items():
            attname = name + "_id" if name in {"model", "org_unit", "cost_centre", "site"} else name
            changes[name] = [getattr(target, attname), _audit_value(value)]
            setattr(target, name, value)
        if "model" in row.values and target.manufacturer_id != row.values["model"].manufacturer_id:
            changes["manufacturer"] = [target.manufacturer_id, row.values["model"].manufacturer_id]
            target.manufacturer_id = row.values["model"].manufacturer_id
            fields.add("manufacturer")
        if {"cost_centre", "org_unit"} & fields:
            moved.append(target)
        by_fields.setdefault(tuple(sorted(fields)), []).append(target)
        events.append(
            PendingEvent(
                event_type=AuditEventType.UPDATED, obj=target, changes=changes, extra={**extra, "row": row.row}
            )
        )
    for names, group in by_fields.items():
        Asset.objects.bulk_update(group, list(names), batch_size=BULK_BATCH_SIZE)
    # A new cost centre or org unit starts a new period in the asset's history (as a move does).
    moved_ids = [a.pk for a in moved]
    for start in range(0, len(moved_ids), LOOKUP_CHUNK):
        AssetAssignment.objects.filter(
            asset_id__in=moved_ids[start : start + LOOKUP_CHUNK], ended_at__isnull=True
        ).update(ended_at=now)
    assignments += [
        AssetAssignment(
            owner_id=a.owner_id,
            asset_id=a.pk,
            person_id=a.assigned_to_id,
            cost_centre_id=a.cost_centre_id,
            org_unit_id=a.org_unit_id,
            started_at=now,
            reason="import",
        )
        for a in moved
    ]
    AssetAssignment.objects.bulk_create(assignments, batch_size=BULK_BATCH_SIZE)
    return events


# Shown in the row report.
ACTION_LABELS = {
    CREATE: pgettext_lazy("import row", "New"),
    UPDATE: gettext_lazy("Changed"),
    UNCHANGED: gettext_lazy("Unchanged"),
    ERROR: gettext_lazy("Error"),
}
