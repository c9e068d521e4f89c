"""Import of assets from CSV or XLSX: supplier delivery files and MDM exports (importera tillgångar).

The pipeline is the one of every import (`samdrift.core.importing`): the file is stored first
(`do_upload_asset_import`), so nothing received is lost; the user chooses which column holds which
field (`do_set_import_columns`, optionally saved by name for one owner or for every owner); the
dry run (`check_asset_import`) reads the stored file, checks every row against the database and
stores a row-by-row report, writing no asset; `do_commit_asset_import` checks the file again inside
one transaction and writes every row or, if anything differs or fails, none. This module supplies
only the row rules (`AssetImportRules`).

Large files run as jobs (`start_check`, `start_commit` decide) with their progress on the batch.
The work is set-based: the catalogue, the owner's org units, cost centres and sites are read once,
the assets a file refers to in one query per 5,000 rows, rows are checked in memory and written
with bulk_create / bulk_update, and the audit events are recorded in bulk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
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
from samdrift.core import importing
from samdrift.core.access import require_role
from samdrift.core.audit import PendingEvent, record_event
from samdrift.core.importing import CREATE, ERROR, UNCHANGED, UPDATE, MappedTable
from samdrift.core.models import AuditEventType
from samdrift.core.tabular import MAX_ROWS, looks_like_formula
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner

logger = logging.getLogger(__name__)

__all__ = ["CREATE", "ERROR", "MAX_ROWS", "UNCHANGED", "UPDATE", "looks_like_formula"]
LOOKUP_CHUNK = 5000
BULK_BATCH_SIZE = 1000

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


def field_label(name: str) -> str:
    return str(getattr(Asset._meta.get_field(name), "verbose_name", name))


def importer_role(actor: Any, owner_id: int | None = None) -> str:
    operator_roles, owner_roles = WRITE_ROLES["asset"]
    return require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


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


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class RowPlan(importing.RowPlan):
    model_given: bool = False


@dataclass
class Plan(importing.Plan):
    owner: Owner | None = None
    file_format: str = ""


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
    table: MappedTable,
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
        text = raw.strip()  # a formula cell is already left out (core.importing), its row an error
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
    row.existing = existing
    row.decide()


# --- the rules of the asset import (samdrift.core.importing runs them) -------------------------


class AssetImportRules(importing.ImportRules):
    key = "assets.import"
    label = gettext_lazy("Asset imports")
    model = AssetImport
    fields = FIELDS
    aliases = HEADER_ALIASES
    mapping_model = AssetImportMapping

    def role(self, actor: Any, batch: Any) -> str:
        return importer_role(actor, batch.owner_id)

    def field_label(self, name: str) -> str:
        return field_label(name)

    def lock(self, batch: Any) -> Any:
        return AssetImport.objects.select_for_update().select_related("owner").get(pk=batch.pk)

    def validate_rows(
        self, batch: Any, table: MappedTable, *, actor: Any, progress: importing.Progress | None
    ) -> importing.Plan:
        return build_plan(batch.owner, table, batch.options, progress=progress)

    def save_report(self, batch: Any, plan: importing.Plan) -> list[str]:
        batch.file_errors = plan.file_errors
        batch.notes = plan.notes
        batch.fingerprint = plan.fingerprint()
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
        return ["file_errors", "notes", "fingerprint"]

    def apply_rows(self, batch: Any, plan: importing.Plan, *, actor: Any, role: str) -> list[PendingEvent]:
        return _apply(plan, batch)  # type: ignore[arg-type]


RULES = AssetImportRules()


def guess_columns(headers: list[str]) -> dict[str, str]:
    """The field each header is recognised as, when the user has not chosen: {field: header}."""
    return importing.guess_columns(headers, HEADER_ALIASES)


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
    received = importing.receive_file(uploaded_file)
    if mapping is not None and mapping.owner_id not in (None, owner.pk):
        raise ValidationError({"mapping": [_("This mapping belongs to another owner.")]})
    batch = AssetImport(
        owner=owner,
        file_format=received.table.file_format,
        headers=received.headers,
        columns=dict(mapping.columns) if mapping is not None else guess_columns(received.headers),
        options=dict(mapping.options) if mapping is not None else {},
        mapping=mapping,
    )
    return importing.do_store_upload(batch, received, actor=actor, role=role)  # type: ignore[no-any-return]


def check_columns(batch: AssetImport, columns: dict[str, str]) -> dict[str, str]:
    """Keep the chosen columns that exist; a column may hold one field only."""
    chosen, errors = importing.check_columns(batch.headers, columns, FIELDS, field_label)
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
    importer_role(actor, batch.owner_id)
    if batch.status in {ImportState.COMMITTED, ImportState.COMMITTING, ImportState.CHECKING}:
        raise ValidationError(
            _("The columns cannot be changed now (%(status)s).") % {"status": batch.get_status_display()}
        )
    chosen = check_columns(batch, columns)
    cleaned = clean_options(options)
    if save_as.strip():
        importer_role(actor, None if shared else batch.owner_id)
    result: AssetImport = importing.do_choose_columns(
        RULES, batch, chosen, cleaned, actor=actor, save_as=save_as, shared=shared
    )
    return result


def do_save_import_mapping(
    name: str, owner: Owner | None, columns: dict[str, str], options: dict[str, Any], *, actor: Any
) -> AssetImportMapping:
    """Save (or replace) a named column mapping for one owner, or for every owner."""
    role = importer_role(actor, owner.pk if owner else None)
    mapping: AssetImportMapping = importing.do_save_mapping(
        RULES, name, owner, columns, options, actor=actor, role=role
    )
    return mapping


def check_asset_import(batch: AssetImport, *, actor: Any, in_background: bool = False) -> AssetImport:
    """The dry run: check every row and store the report; no asset is written."""
    result: AssetImport = importing.do_check(RULES, batch, actor=actor, in_background=in_background)
    return result


def start_check(batch: AssetImport, *, actor: Any) -> AssetImport:
    """Run the dry run now for a small file, or queue it as a job whose progress the page shows."""
    result: AssetImport = importing.start_check(RULES, batch, actor=actor)
    return result


def start_commit(batch: AssetImport, *, actor: Any) -> AssetImport:
    """Import now for a small file, or queue the import as a job."""
    result: AssetImport = importing.start_commit(RULES, batch, actor=actor)
    return result


def do_commit_asset_import(batch: AssetImport, *, actor: Any) -> AssetImport:
    """Import a checked file: every row is written, or, if any row fails, none is (see
    `samdrift.core.importing.do_commit`)."""
    result: AssetImport = importing.do_commit(RULES, batch, actor=actor)
    return result


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
