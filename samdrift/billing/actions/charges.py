"""Charge sources: subscriptions, one-off charges and usage imported from file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samdrift.billing.actions.common import _role, check_cost_centre, check_period_open
from samdrift.billing.models import Article, Charge, Subscription, UsageRow
from samdrift.core import tabular
from samdrift.core.actions import create_audited, update_audited
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.tenancy.models import CostCentre, Owner


@transaction.atomic
def do_create_subscription(data: dict[str, Any], *, actor: Any) -> Subscription:
    role = _role(actor, getattr(data.get("owner"), "pk", None))
    check_cost_centre(data.get("owner"), data.get("cost_centre"))
    return create_audited(Subscription, data, actor=actor, role=role)


@transaction.atomic
def do_end_subscription(sub: Subscription, end: date, *, actor: Any) -> Subscription:
    role = _role(actor, sub.owner_id)
    if end < sub.start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    before = sub.end
    sub.end = end
    sub.save(update_fields=["end"])
    record_event(
        actor, role, AuditEventType.UPDATED, sub, changes={"end": [before, end]}, extra={"action": "end_subscription"}
    )
    return sub


@transaction.atomic
def do_create_charge(data: dict[str, Any], *, actor: Any) -> Charge:
    role = _role(actor, getattr(data.get("owner"), "pk", None))
    check_cost_centre(data.get("owner"), data.get("cost_centre"))
    check_period_open(data["charge_date"])
    quantity = Decimal(data.get("quantity", 1))
    data = {**data, "quantity": quantity, "amount": to_money(quantity * Decimal(data["unit_price"]))}
    return create_audited(Charge, data, actor=actor, role=role)


USAGE_COLUMNS = ("owner", "cost_centre", "metric", "quantity", "unit_price")
# DecimalField(max_digits=14, decimal_places=4): at most ten digits before the decimal point.
USAGE_NUMBER_LIMIT = Decimal(10) ** 10


def _usage_number(text: str) -> Decimal:
    """A quantity or price as written in the file: `12`, `50,5`, `1 000,50` (Swedish Excel writes a
    non-breaking space between thousands), `1.5`. InvalidOperation when it is not a number."""
    for space in (" ", "\u00a0", "\u202f"):
        text = text.replace(space, "")
    value = Decimal(text.replace(",", "."))
    if not value.is_finite():
        raise InvalidOperation
    return value


def check_usage_rows(table: tabular.Table, month: date) -> tuple[list[UsageRow], list[str]]:
    """Check the rows of a usage file as `samdrift.core.tabular` read it (CSV or XLSX).

    Header: owner, cost_centre, metric, quantity and optionally unit_price (compared as
    `tabular.normalise_header` does, in any order; other columns are ignored). `owner` is the
    municipality code, `cost_centre` the owner's cost-centre code, `metric` an article code; an
    empty unit price takes the article's price (the catalogue). A cell in any column that looks like
    a formula (`tabular.looks_like_formula`) is an error on its row. Rows are numbered as in the file.
    """
    position = tabular.cells_by_name(table.header)
    columns = {name: position.get(tabular.normalise_header(name)) for name in USAGE_COLUMNS}
    missing = [name for name in USAGE_COLUMNS[:4] if columns[name] is None]
    if missing:
        return [], [_("The header lacks the columns: %(columns)s") % {"columns": ", ".join(missing)}]
    header = table.header
    owners = {o.municipality_code: o for o in Owner.objects.all()}
    centres = {(c.owner_id, c.code): c for c in CostCentre.objects.all()}
    articles = {a.code: a for a in Article.objects.filter(active=True)}
    rows: list[UsageRow] = []
    errors: list[str] = []
    for number, cells in table.body:
        formulas = [
            tabular.formula_error(header[i] if i < len(header) and header[i] else str(i + 1), text)
            for i, text in enumerate(cells)
            if text and tabular.looks_like_formula(text)
        ]
        if formulas:
            errors.append(_("row %(row)s: %(problems)s") % {"row": number, "problems": "; ".join(formulas)})
            continue
        record = {
            name: cells[index] if index is not None and index < len(cells) else "" for name, index in columns.items()
        }
        code = record["owner"]
        # Excel drops the leading zero of a code it takes for a number (0114 → 114); codes have four digits.
        owner = owners.get(code.zfill(4) if code.isdigit() else code)
        centre = centres.get((owner.pk, record["cost_centre"])) if owner else None
        article = articles.get(record["metric"])
        problems = []
        if owner is None:
            problems.append(_("unknown owner %(value)r") % {"value": record["owner"]})
        elif centre is None:
            problems.append(_("unknown cost centre %(value)r") % {"value": record["cost_centre"]})
        if article is None:
            problems.append(_("unknown metric %(value)r") % {"value": record["metric"]})
        try:
            quantity = _usage_number(record["quantity"])
            price_text = record["unit_price"]
            price = _usage_number(price_text) if price_text else (article.unit_price if article else Decimal(0))
            if quantity < 0 or price < 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(_("quantity and price must be numbers of zero or more"))
        else:
            if quantity >= USAGE_NUMBER_LIMIT or price >= USAGE_NUMBER_LIMIT:
                problems.append(_("quantity and price must be less than 10,000,000,000"))
        if problems:
            errors.append(_("row %(row)s: %(problems)s") % {"row": number, "problems": "; ".join(problems)})
            continue
        rows.append(
            UsageRow(
                owner=owner,
                cost_centre=centre,
                article=article,
                month=month,
                quantity=quantity,
                unit_price=price,
                source=_("row %(row)s") % {"row": number},
            )
        )
    return rows, errors


@transaction.atomic
def do_import_usage(
    data: bytes, month: date, *, actor: Any, filename: str = "", dry_run: bool = False
) -> dict[str, Any]:
    """Import metered usage for a month from a CSV or XLSX file (its bytes, read by the one reader
    `samdrift.core.tabular`: encodings, delimiter, size and row limits, formulas); all or nothing:
    any bad row and nothing is imported. A file that cannot be read at all is refused with
    ValidationError({"file": [...]})."""
    role = _role(actor)
    month = month.replace(day=1)
    check_period_open(month)
    table = tabular.read_table(data, filename)
    rows, errors = check_usage_rows(table, month)
    report = {"rows": len(rows), "errors": errors, "imported": 0}
    if errors or dry_run:
        return report
    for row in rows:
        row.source = f"{filename} {row.source}".strip()[:200]
    UsageRow.objects.bulk_create(rows, batch_size=2000)
    report["imported"] = len(rows)
    per_owner: dict[int, int] = {}
    for row in rows:
        per_owner[row.owner_id] = per_owner.get(row.owner_id, 0) + 1
    record_events(
        actor,
        role,
        [
            PendingEvent(
                AuditEventType.IMPORTED,
                owner_id=owner_id,
                object_type="billing.usagerow",
                extra={"action": "import_usage", "month": month.isoformat(), "rows": n, "file": filename},
            )
            for owner_id, n in sorted(per_owner.items())
        ],
    )
    return report


@transaction.atomic
def do_update_subscription(sub: Subscription, data: dict[str, Any], *, actor: Any) -> Subscription:
    """Change a running service: cost centre, price, dates, description. The owner and article stay;
    the change applies to open periods (closed ones are corrected with credit notes)."""
    role = _role(actor, sub.owner_id)
    check_cost_centre(sub.owner_id, data.get("cost_centre"))
    start, end = data.get("start", sub.start), data.get("end", sub.end)
    if end is not None and start is not None and end < start:
        raise ValidationError({"end": _("The end cannot be before the start.")})
    return update_audited(sub, data, actor=actor, role=role, immutable=("owner", "article"))


@transaction.atomic
def do_update_charge(charge: Charge, data: dict[str, Any], *, actor: Any) -> Charge:
    """Change a one-time charge that is not yet in a closed period; the amount is recomputed."""
    role = _role(actor, charge.owner_id)
    check_period_open(charge.charge_date)
    check_cost_centre(charge.owner_id, data.get("cost_centre"))
    if "charge_date" in data:
        check_period_open(data["charge_date"])
    quantity = Decimal(data.get("quantity", charge.quantity))
    price = Decimal(data.get("unit_price", charge.unit_price))
    data = {**data, "quantity": quantity, "unit_price": price, "amount": to_money(quantity * price)}
    return update_audited(charge, data, actor=actor, role=role, immutable=("owner",))
