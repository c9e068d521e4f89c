"""What other apps may call in billing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q

# --- reads for insight (owner cost per month from issued invoice lines) ------------------------


def get_issued_cost_rows(
    first_month: date, last_month: date, owner_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """Cost excl. VAT per owner, billing month, service (the line's article, or its cost pool) and
    cost centre, from the lines of issued invoices; a credit note's lines count negative. One
    grouped query. Each row: owner_id, month (first day), service_key, service, cost_centre_id,
    cost_centre, amount, lines."""
    from django.db.models import Case, Count, DecimalField, F, Sum, When

    from samdrift.billing.models import InvoiceKind, InvoiceLine

    lines = InvoiceLine.objects.filter(invoice__issued_at__isnull=False).filter(
        Q(period__year__gt=first_month.year) | Q(period__year=first_month.year, period__month__gte=first_month.month),
        Q(period__year__lt=last_month.year) | Q(period__year=last_month.year, period__month__lte=last_month.month),
    )
    if owner_ids is not None:
        lines = lines.filter(owner_id__in=list(owner_ids))
    signed = Case(
        When(invoice__kind=InvoiceKind.CREDIT_NOTE, then=-F("amount")),
        default=F("amount"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    rows = (
        lines.values("owner_id", "period__year", "period__month", "article_id", "pool_id", "cost_centre_id")
        .annotate(
            article_name=F("article__name"),
            pool_name=F("pool__name"),
            cc_code=F("cost_centre__code"),
            cc_name=F("cost_centre__name"),
            amount_sum=Sum(signed),
            n=Count("id"),
        )
        .order_by()
    )
    out = []
    for r in rows:
        if r["article_id"] is not None:
            key, label = f"a{r['article_id']}", r["article_name"]
        elif r["pool_id"] is not None:
            key, label = f"p{r['pool_id']}", r["pool_name"]
        else:
            key, label = "other", ""
        out.append(
            {
                "owner_id": r["owner_id"],
                "month": date(r["period__year"], r["period__month"], 1),
                "service_key": key,
                "service": label or "",
                "cost_centre_id": r["cost_centre_id"],
                "cost_centre": " ".join(x for x in (r["cc_code"], r["cc_name"]) if x),
                "amount": r["amount_sum"] or Decimal(0),
                "lines": r["n"],
            }
        )
    return out


def get_issued_lines(
    user: Any, owner_id: int, month: date, *, service_key: str = "", cost_centre_id: int | None = None, limit: int = 500
) -> tuple[list[Any], int]:
    """The issued invoice lines behind one owner's month (drill-down), as `user` may see them,
    optionally of one service key (as get_issued_cost_rows names it) or one cost centre: the
    first `limit` lines and how many there are."""
    from samdrift.billing.models import InvoiceLine

    lines = InvoiceLine.objects.for_user(user).filter(
        owner_id=owner_id, period__year=month.year, period__month=month.month, invoice__issued_at__isnull=False
    )
    if service_key.startswith("a") and service_key[1:].isdigit():
        lines = lines.filter(article_id=int(service_key[1:]))
    elif service_key.startswith("p") and service_key[1:].isdigit():
        lines = lines.filter(pool_id=int(service_key[1:]))
    elif service_key == "other":
        lines = lines.filter(article__isnull=True, pool__isnull=True)
    if cost_centre_id is not None:
        lines = lines.filter(cost_centre_id=cost_centre_id)
    rows = list(lines.select_related("invoice", "cost_centre").order_by("invoice_id", "id")[:limit])
    return rows, lines.count()


def get_finance_work(user: Any) -> dict[str, Any]:
    """The finance start page: open periods, billing runs running or failed, issued documents
    that fail their check, and year-end settlements not yet on an invoice."""
    from django.db.models import Count

    from samdrift.billing.models import BillingPeriod, BillingRun, Invoice, PeriodStatus, RunStatus, Settlement

    periods = list(BillingPeriod.objects.for_user(user).filter(status=PeriodStatus.OPEN).order_by("year", "month")[:6])
    runs = dict.fromkeys(["queued", "running", "failed"], 0)
    runs |= dict(
        BillingRun.objects.for_user(user)
        .filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    failing = Invoice.objects.for_user(user).exclude(problems=[]).count()
    settlements = Settlement.objects.for_user(user).filter(period__status=PeriodStatus.OPEN).count()
    return {"periods": periods, "runs": runs, "failing": failing, "settlements": settlements}
