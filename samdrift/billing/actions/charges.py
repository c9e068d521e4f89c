"""Charge sources: subscriptions, one-off charges and usage imported from file."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samdrift.billing.actions.common import _role, check_cost_centre, check_period_open
from samdrift.billing.models import Article, Charge, Subscription, UsageRow
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


def check_usage_csv(text: str, month: date) -> tuple[list[UsageRow], list[str]]:
    """Parse a usage file (semicolon or comma separated; header: owner;cost_centre;metric;quantity[;unit_price]).

    `owner` is the municipality code, `cost_centre` the owner's cost-centre code, `metric` an
    article code; an empty unit price takes the article's price (the catalogue).
    """
    sample = text[:2000]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in USAGE_COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        return [], [_("The header lacks the columns: %(columns)s") % {"columns": ", ".join(missing)}]
    owners = {o.municipality_code: o for o in Owner.objects.all()}
    centres = {(c.owner_id, c.code): c for c in CostCentre.objects.all()}
    articles = {a.code: a for a in Article.objects.filter(active=True)}
    rows: list[UsageRow] = []
    errors: list[str] = []
    for number, record in enumerate(reader, start=2):
        owner = owners.get((record.get("owner") or "").strip())
        centre = centres.get((owner.pk, (record.get("cost_centre") or "").strip())) if owner else None
        article = articles.get((record.get("metric") or "").strip())
        problems = []
        if owner is None:
            problems.append(_("unknown owner %(value)r") % {"value": record.get("owner")})
        elif centre is None:
            problems.append(_("unknown cost centre %(value)r") % {"value": record.get("cost_centre")})
        if article is None:
            problems.append(_("unknown metric %(value)r") % {"value": record.get("metric")})
        try:
            quantity = Decimal((record.get("quantity") or "").strip().replace(",", "."))
            price_text = (record.get("unit_price") or "").strip().replace(",", ".")
            price = Decimal(price_text) if price_text else (article.unit_price if article else Decimal(0))
            if quantity < 0 or price < 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(_("quantity and price must be numbers of zero or more"))
            quantity = price = Decimal(0)
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
def do_import_usage(text: str, month: date, *, actor: Any, filename: str = "", dry_run: bool = False) -> dict[str, Any]:
    """Import metered usage for a month; all or nothing: any bad row and nothing is imported."""
    role = _role(actor)
    month = month.replace(day=1)
    check_period_open(month)
    rows, errors = check_usage_csv(text, month)
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
