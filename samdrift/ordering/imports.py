"""Price lists from the supplier's CSV or XLSX file: a dry run that shows new, changed and removed
articles, then the import that applies it. Prices are never edited in place: a changed or removed
article's running price ends the day before the new list applies, and a changed one gets a new row.

The file is read by the one reader (`samdrift.core.tabular`: one size limit, one formula rule) and
runs through the one import pipeline (`samdrift.core.importing`): kept as received, checked in a
dry run, applied all or nothing; a large list runs both as jobs with their progress shown. This
module supplies the row rules (`PriceListRules`). Supplier confirmations and delivery files are
read by `read_table` here too.

Set-based: the current price list is read in one query and the changes are written with
bulk_create and one UPDATE per 5,000 rows, so a 50,000-article list imports in seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.core import importing, tabular
from samdrift.core.access import require_role
from samdrift.core.audit import PendingEvent, record_event
from samdrift.core.importing import CREATE, ERROR, UNCHANGED, UPDATE, MappedTable, RowPlan
from samdrift.core.models import AuditEventType
from samdrift.ordering.models import CATALOGUE_ROLES, Agreement, AgreementArticle, ImportStatus, PriceImport

PRICE_COLUMNS = ("article_number", "description", "unit", "unit_price")
OPTIONAL_COLUMNS = ("category",)
REPORT_ROWS = 500  # rows kept in the stored report per kind; the counts are exact


def _plain(exc: ValidationError) -> ValidationError:
    return ValidationError(exc.messages)


def read_table(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (lower-case, stripped) and numbered rows of a CSV or XLSX file (the one reader of
    `samdrift.core.tabular`). A cell that looks like a formula refuses the file, naming it."""
    try:
        table = tabular.read_table(content, filename)
    except ValidationError as exc:
        raise _plain(exc) from None
    if not table.rows:
        raise ValidationError(_("The file is empty."))
    header = [h.strip().lower() for h in table.header]
    formulas = [
        (n, header[i] if i < len(header) else str(i + 1), text)
        for n, cells in table.body
        for i, text in enumerate(cells)
        if text and tabular.looks_like_formula(text)
    ]
    if formulas:
        raise ValidationError(
            [
                _("Row %(row)s: %(error)s") % {"row": n, "error": tabular.formula_error(column, text)}
                for n, column, text in formulas[:10]
            ]
        )
    return header, table.body


def _price(value: str) -> Decimal:
    value = value.replace(" ", "").replace("\u00a0", "")
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    result = Decimal(value)
    if not result.is_finite() or result < 0 or result >= Decimal("1e10"):
        raise InvalidOperation
    return result.quantize(Decimal("0.0001"))


# --- the rules ---------------------------------------------------------------------------------


class PriceState(importing.ImportState):
    """The price import's own status values: a list with errors stays "checked" (with its errors
    counted), as it always has."""

    UPLOADED = ImportStatus.UPLOADED.value
    CHECKING = ImportStatus.CHECKING.value
    VALIDATED = ImportStatus.CHECKED.value
    FAILED_VALIDATION = ImportStatus.CHECKED.value
    COMMITTING = ImportStatus.APPLYING.value
    COMMITTED = ImportStatus.IMPORTED.value
    ERROR = ImportStatus.FAILED.value


@dataclass
class PricePlan(importing.Plan):
    """The rows of the file compared with the price list valid on the first day, and the running
    articles the file no longer holds (`removed`)."""

    removed: list[AgreementArticle] = field(default_factory=list)

    def fingerprint(self) -> str:
        rows = super().fingerprint()
        return hashlib.sha256((rows + ",".join(str(a.pk) for a in self.removed)).encode()).hexdigest()

    def counts(self) -> dict[str, int]:
        counts = super().counts()
        return {**counts, "removed": len(self.removed)}

    def report(self) -> dict[str, Any]:
        def short(rows: list[RowPlan], extra: bool = False) -> list[dict[str, str]]:
            items = []
            for r in rows[:REPORT_ROWS]:
                item = {"row": str(r.row), **{k: str(v) for k, v in r.values.items()}}
                if extra and r.existing is not None:
                    item |= {"old_price": str(r.existing.unit_price), "old_description": r.existing.description}
                items.append(item)
            return items

        errors = [{"row": 0, "error": e} for e in self.file_errors]
        errors += [{"row": r.row, "error": " ".join(r.errors)} for r in self.rows if r.action == ERROR]
        counts = self.counts()
        return {
            "new": short([r for r in self.rows if r.action == CREATE]),
            "changed": short([r for r in self.rows if r.action == UPDATE], extra=True),
            "removed": [
                {"article_number": a.article_number, "description": a.description, "old_price": str(a.unit_price)}
                for a in self.removed[:REPORT_ROWS]
            ],
            "errors": errors[:REPORT_ROWS],
            "counts": {
                "new": counts[CREATE],
                "changed": counts[UPDATE],
                "removed": counts["removed"],
                "unchanged": counts[UNCHANGED],
                "errors": len(errors),
            },
            "fingerprint": self.fingerprint(),
        }


class PriceListRules(importing.ImportRules):
    key = "ordering.price_import"
    label = gettext_lazy("Price-list imports")
    model = PriceImport
    states = PriceState
    fields = (*PRICE_COLUMNS, *OPTIONAL_COLUMNS)
    aliases = {name: (name,) for name in (*PRICE_COLUMNS, *OPTIONAL_COLUMNS)}
    required = frozenset(PRICE_COLUMNS)

    def role(self, actor: Any, batch: Any) -> str:
        return require_role(actor, owner_id=None, operator_roles=CATALOGUE_ROLES)

    def lock(self, batch: Any) -> Any:
        return PriceImport.objects.select_for_update().select_related("agreement").get(pk=batch.pk)

    def stored_bytes(self, batch: Any) -> bytes:
        return bytes(batch.content)

    def filename(self, batch: Any) -> str:
        return str(batch.filename)

    def map_table(self, batch: Any, table: tabular.Table) -> MappedTable:
        return map_price_table(table)

    def empty_plan(self, batch: Any) -> importing.Plan:
        return PricePlan()

    def validate_rows(
        self, batch: Any, table: MappedTable, *, actor: Any, progress: importing.Progress | None
    ) -> importing.Plan:
        return check_rows(batch.agreement, table, batch.valid_from)

    def save_counts(self, batch: Any, plan: importing.Plan) -> list[str]:
        assert isinstance(plan, PricePlan)
        counts = plan.report()["counts"]
        batch.row_count = len(plan.rows) or batch.row_count
        batch.new_count = counts["new"]
        batch.changed_count = counts["changed"]
        batch.removed_count = counts["removed"]
        batch.unchanged_count = counts["unchanged"]
        batch.error_count = counts["errors"]
        return ["row_count", "new_count", "changed_count", "removed_count", "unchanged_count", "error_count"]

    def save_report(self, batch: Any, plan: importing.Plan) -> list[str]:
        assert isinstance(plan, PricePlan)
        batch.report = plan.report()
        return ["report"]

    def stored_fingerprint(self, batch: Any) -> str:
        return str((batch.report or {}).get("fingerprint", ""))

    def mark_committed(self, batch: Any, plan: importing.Plan, *, actor: Any) -> list[str]:
        return []

    def committed(self, batch: Any, plan: importing.Plan) -> list[str]:
        return self.save_report(batch, plan)

    def counts_of(self, batch: Any) -> dict[str, Any]:
        return {"new": batch.new_count, "changed": batch.changed_count, "errors": batch.error_count}

    def apply_rows(self, batch: Any, plan: importing.Plan, *, actor: Any, role: str) -> list[PendingEvent]:
        assert isinstance(plan, PricePlan)
        return _apply(batch, plan)


RULES = PriceListRules()


def map_price_table(table: tabular.Table) -> MappedTable:
    """The price columns of a file (their English names, any case); others are ignored."""
    if not table.rows:
        raise ValidationError(_("The file is empty."))
    header = [h.strip().lower() for h in table.header]
    missing = [c for c in PRICE_COLUMNS if c not in header]
    if missing:
        raise ValidationError(_("The file lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
    return importing.recognise_columns(
        tabular.Table(table.file_format, [(table.rows[0][0], header), *table.body]),
        RULES.fields,
        RULES.aliases,
        RULES.required,
        str,
    )


def check_rows(agreement: Agreement, table: MappedTable, valid_from: date) -> PricePlan:
    """Compare the file's rows with the price list valid on `valid_from`; nothing is written."""
    current = {
        a.article_number: a
        for a in AgreementArticle.objects.filter(agreement=agreement, valid_from__lte=valid_from).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        )
    }
    plan = PricePlan()
    if AgreementArticle.objects.filter(agreement=agreement, valid_from__gt=valid_from).exists():
        plan.file_errors.append(_("The agreement already has prices from a later day; import lists in date order."))
    seen: set[str] = set()
    for n, cells in table.rows:
        row = RowPlan(row=n)
        plan.rows.append(row)
        number = cells.get("article_number", "")
        description = cells.get("description", "")
        unit = cells.get("unit", "") or "st"
        category = cells.get("category", "")
        row.key = number
        if not number:
            row.errors.append(_("The article number is missing."))
        elif len(number) > 60 or len(description) > 300 or len(unit) > 20 or len(category) > 40:
            row.errors.append(_("A value is too long."))
        elif number in seen:
            row.errors.append(_("Article %(n)s appears twice.") % {"n": number})
        elif not description:
            seen.add(number)
            row.errors.append(_("The description is missing."))
        else:
            seen.add(number)
            try:
                price = _price(cells.get("unit_price", ""))
            except (InvalidOperation, ValueError):
                row.errors.append(_("%(v)s is not a price.") % {"v": cells.get("unit_price", "")[:30]})
            else:
                row.values = {
                    "article_number": number,
                    "description": description,
                    "unit": unit,
                    "category": category,
                    "unit_price": price,
                }
                old = row.existing = current.get(number)
                if old is not None:
                    row.changes = {
                        name: [str(getattr(old, name)), str(value)]
                        for name, value in row.values.items()
                        if getattr(old, name) != value
                    }
        row.decide()
    plan.removed = [a for number, a in current.items() if number not in seen]
    return plan


def check_price_file(agreement: Agreement, content: bytes, filename: str, valid_from: date) -> dict[str, Any]:
    """The dry-run report of a price-list file (for a caller that stores nothing)."""
    try:
        table = map_price_table(tabular.read_table(content, filename))
    except ValidationError as exc:
        raise _plain(exc) from None
    return check_rows(agreement, table, valid_from).report()


def _apply(imp: PriceImport, plan: PricePlan) -> list[PendingEvent]:
    """End the replaced prices the day before the list applies and add the new rows (bulk)."""
    day_before = imp.valid_from - timedelta(days=1)
    to_end = [r.existing for r in plan.rows if r.action == UPDATE] + plan.removed
    if any(a.valid_from == imp.valid_from for a in to_end):
        raise ValidationError(_("Prices starting that same day exist; choose a later first day."))
    ending = [a.pk for a in to_end]
    for chunk in range(0, len(ending), 5000):
        AgreementArticle.objects.filter(pk__in=ending[chunk : chunk + 5000]).update(valid_to=day_before)
    AgreementArticle.objects.bulk_create(
        [
            AgreementArticle(agreement_id=imp.agreement_id, valid_from=imp.valid_from, price_import=imp, **r.values)
            for r in plan.rows
            if r.action in {CREATE, UPDATE}
        ],
        batch_size=5000,
    )
    return []  # the import's own event (with its counts) is the audit record of the prices


# --- actions -----------------------------------------------------------------------------------


def do_check_price_list(
    agreement: Agreement, content: bytes, filename: str, valid_from: date, *, actor: Any
) -> PriceImport:
    """Keep the file and run its dry run (now, or as a job for a large list); change no price."""
    role = require_role(actor, owner_id=None, operator_roles=CATALOGUE_ROLES)
    if valid_from <= date.min or valid_from < agreement.start or valid_from > agreement.end:
        raise ValidationError({"valid_from": _("The price list must apply within the agreement's term.")})
    try:
        table = tabular.read_table(content, filename)
        map_price_table(table)  # a file without the columns is refused and not kept
    except ValidationError as exc:
        raise _plain(exc) from None
    with transaction.atomic():
        imp = PriceImport(
            agreement=agreement,
            valid_from=valid_from,
            filename=filename[:255],
            content=content,
            status=ImportStatus.UPLOADED,
            row_count=len(table.body),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        imp.save(force_insert=True)
        record_event(
            actor,
            role,
            AuditEventType.CREATED,
            imp,
            changes={"status": [None, imp.status], "filename": [None, imp.filename]},
            extra={"rows": imp.row_count},
        )
        result: PriceImport = importing.start_check(RULES, imp, actor=actor)
    return result


def do_apply_price_list(imp: PriceImport, *, actor: Any) -> PriceImport:
    """Apply a checked price list (now, or as a job for a large list): new rows from its first
    day, the replaced ones end the day before; all or nothing."""
    require_role(actor, owner_id=None, operator_roles=CATALOGUE_ROLES)
    if imp.status == ImportStatus.IMPORTED:
        raise ValidationError(_("This price list has already been imported."))
    if imp.error_count:
        raise ValidationError(_("The file has errors; correct it and upload it again."))
    result: PriceImport = importing.start_commit(RULES, imp, actor=actor)
    return result


def do_recheck_price_list(imp: PriceImport, *, actor: Any) -> PriceImport:
    """Run the dry run of a kept price list again (after a failure, or after prices changed)."""
    result: PriceImport = importing.start_check(RULES, imp, actor=actor)
    return result
