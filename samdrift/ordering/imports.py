"""Price lists from the supplier's CSV or XLSX file: a dry run that shows new, changed and removed
articles, then the import that applies it. Prices are never edited in place: a changed or removed
article's running price ends the day before the new list applies, and a changed one gets a new row.

Set-based: the current price list is read in one query and the changes are written with
bulk_create and one UPDATE per kind, so a 50,000-article list imports in seconds.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.ordering.models import CATALOGUE_ROLES, Agreement, AgreementArticle, ImportStatus, PriceImport

PRICE_COLUMNS = ("article_number", "description", "unit", "unit_price")
OPTIONAL_COLUMNS = ("category",)
MAX_BYTES = 50 * 1024 * 1024
REPORT_ROWS = 500  # rows kept in the stored report per kind; the counts are exact


def read_table(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (lower-case, stripped) and numbered rows of a CSV (`;` or `,`) or XLSX file."""
    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 50 MB."))
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValidationError(_("The file is not a readable XLSX workbook.")) from exc
        sheet = workbook.worksheets[0]
        values = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1252")
            except UnicodeDecodeError as exc:  # five bytes are undefined in Windows-1252 too
                raise ValidationError(_("The file is not a readable CSV file.")) from exc
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        try:
            # Universal newlines: a file with old Mac line ends (a lone CR) is read, not refused.
            values = list(csv.reader(io.StringIO(text, newline=None), delimiter=delimiter))
        except csv.Error as exc:
            raise ValidationError(_("The file is not a readable CSV file.")) from exc
    if not values:
        raise ValidationError(_("The file is empty."))
    header = [h.strip().lower() for h in values[0]]
    rows = [(n, [c.strip() for c in row]) for n, row in enumerate(values[1:], start=2) if any(c.strip() for c in row)]
    return header, rows


def _price(value: str) -> Decimal:
    value = value.replace(" ", "").replace("\u00a0", "")
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    result = Decimal(value)
    if not result.is_finite() or result < 0 or result >= Decimal("1e10"):
        raise InvalidOperation
    return result.quantize(Decimal("0.0001"))


def check_price_file(
    agreement: Agreement, content: bytes, filename: str, valid_from: date
) -> tuple[dict[str, Any], list[dict[str, Any]], list[tuple[AgreementArticle, str]], list[AgreementArticle]]:
    """Compare the file with the price list valid on `valid_from`.

    Returns the report, the articles to add (new and changed), the running rows to end
    (changed and removed, with the reason) and the unchanged ones. Nothing is written.
    """
    header, rows = read_table(content, filename)
    missing = [c for c in PRICE_COLUMNS if c not in header]
    if missing:
        raise ValidationError(_("The file lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
    idx = {c: header.index(c) for c in (*PRICE_COLUMNS, *OPTIONAL_COLUMNS) if c in header}
    current = {
        a.article_number: a
        for a in AgreementArticle.objects.filter(agreement=agreement, valid_from__lte=valid_from).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        )
    }
    later = AgreementArticle.objects.filter(agreement=agreement, valid_from__gt=valid_from).exists()
    errors: list[dict[str, Any]] = []
    if later:
        errors.append(
            {"row": 0, "error": _("The agreement already has prices from a later day; import lists in date order.")}
        )
    seen: set[str] = set()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    to_add: list[dict[str, Any]] = []
    to_end: list[tuple[AgreementArticle, str]] = []

    def cell(row: list[str], name: str) -> str:
        i = idx.get(name)
        return row[i] if i is not None and i < len(row) else ""

    for n, row in rows:
        number = cell(row, "article_number")
        description = cell(row, "description")
        unit = cell(row, "unit") or "st"
        category = cell(row, "category")
        if not number:
            errors.append({"row": n, "error": _("The article number is missing.")})
            continue
        if len(number) > 60 or len(description) > 300 or len(unit) > 20 or len(category) > 40:
            errors.append({"row": n, "error": _("A value is too long.")})
            continue
        if number in seen:
            errors.append({"row": n, "error": _("Article %(n)s appears twice.") % {"n": number}})
            continue
        seen.add(number)
        if not description:
            errors.append({"row": n, "error": _("The description is missing.")})
            continue
        try:
            price = _price(cell(row, "unit_price"))
        except (InvalidOperation, ValueError):
            errors.append({"row": n, "error": _("%(v)s is not a price.") % {"v": cell(row, "unit_price")[:30]}})
            continue
        data = {
            "article_number": number,
            "description": description,
            "unit": unit,
            "category": category,
            "unit_price": price,
        }
        old = current.get(number)
        if old is None:
            new.append({"row": n, **data})
            to_add.append(data)
        elif (old.description, old.unit, old.category, old.unit_price) != (description, unit, category, price):
            changed.append({"row": n, **data, "old_price": old.unit_price, "old_description": old.description})
            to_add.append(data)
            to_end.append((old, "changed"))
        else:
            unchanged += 1
    removed = [a for number, a in current.items() if number not in seen]
    to_end += [(a, "removed") for a in removed]

    def short(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: str(v) for k, v in item.items()} for item in items[:REPORT_ROWS]]

    report = {
        "new": short(new),
        "changed": short(changed),
        "removed": [
            {"article_number": a.article_number, "description": a.description, "old_price": str(a.unit_price)}
            for a in removed[:REPORT_ROWS]
        ],
        "errors": errors[:REPORT_ROWS],
        "counts": {
            "new": len(new),
            "changed": len(changed),
            "removed": len(removed),
            "unchanged": unchanged,
            "errors": len(errors),
        },
    }
    return report, to_add, to_end, []


@transaction.atomic
def do_check_price_list(
    agreement: Agreement, content: bytes, filename: str, valid_from: date, *, actor: Any
) -> PriceImport:
    """The dry run: keep the file and its report; change no price."""
    role = require_role(actor, owner_id=None, operator_roles=CATALOGUE_ROLES)
    if valid_from <= date.min or valid_from < agreement.start or valid_from > agreement.end:
        raise ValidationError({"valid_from": _("The price list must apply within the agreement's term.")})
    report, _add, _end, _same = check_price_file(agreement, content, filename, valid_from)
    counts = report["counts"]
    imp = PriceImport(
        agreement=agreement,
        valid_from=valid_from,
        filename=filename[:255],
        content=content,
        status=ImportStatus.CHECKED,
        report=report,
        new_count=counts["new"],
        changed_count=counts["changed"],
        removed_count=counts["removed"],
        unchanged_count=counts["unchanged"],
        error_count=counts["errors"],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    imp.save(force_insert=True)
    record_event(actor, role, AuditEventType.CREATED, imp, changes={"status": [None, imp.status]}, extra=counts)
    return imp


@transaction.atomic
def do_apply_price_list(imp: PriceImport, *, actor: Any) -> PriceImport:
    """Apply a checked price list: new rows from its first day, the replaced ones end the day before."""
    role = require_role(actor, owner_id=None, operator_roles=CATALOGUE_ROLES)
    imp = PriceImport.objects.select_for_update().select_related("agreement").get(pk=imp.pk)
    if imp.status != ImportStatus.CHECKED:
        raise ValidationError(_("This price list has already been imported."))
    # Check again: the price list may have changed since the dry run.
    report, to_add, to_end, _same = check_price_file(imp.agreement, bytes(imp.content), imp.filename, imp.valid_from)
    if report["counts"]["errors"]:
        raise ValidationError(_("The file has errors; correct it and upload it again."))
    day_before = imp.valid_from - timedelta(days=1)
    if any(a.valid_from == imp.valid_from for a, _why in to_end):
        raise ValidationError(_("Prices starting that same day exist; choose a later first day."))
    ending = [a.pk for a, _why in to_end]
    for chunk in range(0, len(ending), 5000):
        AgreementArticle.objects.filter(pk__in=ending[chunk : chunk + 5000]).update(valid_to=day_before)
    AgreementArticle.objects.bulk_create(
        [
            AgreementArticle(agreement_id=imp.agreement_id, valid_from=imp.valid_from, price_import=imp, **data)
            for data in to_add
        ],
        batch_size=5000,
    )
    imp.status = ImportStatus.IMPORTED
    imp.report = report
    imp.save(update_fields=["status", "report"])
    record_event(
        actor, role, AuditEventType.IMPORTED, imp, changes={"status": [ImportStatus.CHECKED, ImportStatus.IMPORTED]},
        extra={**report["counts"], "imported_at": timezone.now()},
    )  # fmt: skip
    return imp
