"""24 months of history for the demo owners, so that every chart of the start pages and the owner
insight page shows real figures on the first `make run`: issued invoices (closed periods before
the billing demo's open one), tickets with SLA outcomes and ratings, order lines with the time
each stage took, and devices bought over the last years (the assets demo's purchase dates).

Generated set-based: rows are built in memory from a seeded random source and written with
bulk_create (a few thousand rows per table), then the summary tables are refreshed once. History
rows carry their own number series (`H…`) so that they never collide with what the other demos
and the users create. Like every demo module, this writes demo data directly, not through
actions: it is history, not something anyone did.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from samdrift.insight.refresh import add_months, months_back, refresh_owner_months
from samdrift.servicedesk.calendar import STOCKHOLM

HISTORY_MONTHS = 24
TICKETS_PER_EMPLOYEE_MONTH = Decimal("0.035")
# Monthly services billed per cost centre: (article code, share of the headcount, price).
SERVICES = [
    ("KLIENT-PERSONAL", Decimal("0.60"), Decimal("499.00")),
    ("EPOST", Decimal("0.80"), Decimal("45.00")),
    ("SERVER", Decimal("0.01"), Decimal("1450.00")),
    ("LAGRING", Decimal("2.50"), Decimal("0.85")),
]


def _aware(day: date, hours: float) -> datetime:
    return datetime.combine(day, time(8), tzinfo=STOCKHOLM) + timedelta(hours=hours)


def _history_months(today: date) -> list[date]:
    """The 24 months before the first open billing period (the billing demo leaves one open), or
    before the current month when there is none."""
    from samdrift.billing.models import BillingPeriod, PeriodStatus

    first_open = BillingPeriod.objects.filter(status=PeriodStatus.OPEN).order_by("year", "month").first()
    end = date(first_open.year, first_open.month, 1) if first_open else today.replace(day=1)
    return months_back(add_months(end, -1), HISTORY_MONTHS)


def _invoices(rng: random.Random, owners: list[Any], months: list[date], heads: dict[int, tuple[int, int]]) -> int:
    from samdrift.billing.models import Article, BillingPeriod, Invoice, InvoiceLine, PeriodStatus
    from samdrift.tenancy.models import CostCentre

    articles = {a.code: a for a in Article.objects.filter(code__in=[s[0] for s in SERVICES])}
    if not articles:
        return 0
    periods = {}
    for month in months:
        period, _created = BillingPeriod.objects.get_or_create(
            year=month.year,
            month=month.month,
            defaults={"status": PeriodStatus.CLOSED, "closed_at": _aware(add_months(month, 1), 24 * 4)},
        )
        periods[month] = period
    centres = {o.pk: list(CostCentre.objects.filter(owner=o, active=True).order_by("code")[:8]) for o in owners}
    invoices = []
    for owner in owners:
        for month in months:
            issued = _aware(add_months(month, 1), 24 * 5)
            invoices.append(
                Invoice(
                    owner=owner,
                    period=periods[month],
                    number=f"H{month:%Y%m}-{owner.municipality_code}",
                    buyer_reference=f"HIST-{owner.municipality_code}",
                    issue_date=issued.date(),
                    due_date=issued.date() + timedelta(days=30),
                    issued_at=issued,
                    checked_at=issued,
                )
            )
    Invoice.objects.bulk_create(invoices, batch_size=500)
    by_key = {
        (i.owner_id, i.period_id): i
        for i in Invoice.objects.filter(number__startswith="H", period__in=periods.values())
    }
    lines = []
    for owner in owners:
        employees = max(heads.get(owner.pk, (0, 0))[0], 50)
        cc_list = centres[owner.pk]
        if not cc_list:
            continue
        for index, month in enumerate(months):
            invoice = by_key[(owner.pk, periods[month].pk)]
            growth = Decimal(1) + Decimal(index) / Decimal(200)  # a slow rise over the two years
            net = Decimal(0)
            for code, share, price in SERVICES:
                article = articles.get(code)
                if article is None:
                    continue
                total_qty = (Decimal(employees) * share * growth).quantize(Decimal(1))
                per_centre = max(int(total_qty / len(cc_list)), 1)
                for centre in cc_list:
                    qty = Decimal(max(per_centre + rng.randint(-2, 2), 1))
                    amount = (qty * price).quantize(Decimal("0.01"))
                    net += amount
                    lines.append(
                        InvoiceLine(
                            period=periods[month],
                            invoice=invoice,
                            owner=owner,
                            cost_centre=centre,
                            buyer_reference=centre.invoice_reference or invoice.buyer_reference,
                            description=f"{article.name} {month:%Y-%m}",
                            quantity=qty,
                            unit_code=article.unit_code,
                            unit_price=price,
                            amount=amount,
                            vat_rate=Decimal(25),
                            revenue_account=article.revenue_account,
                            source_type="history",
                            article=article,
                        )
                    )
            invoice.net_amount = net
            invoice.vat_amount = (net * Decimal("0.25")).quantize(Decimal("0.01"))
            invoice.total_amount = invoice.net_amount + invoice.vat_amount
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    Invoice.objects.bulk_update(list(by_key.values()), ["net_amount", "vat_amount", "total_amount"], batch_size=500)
    return len(lines)


def _tickets(rng: random.Random, owners: list[Any], months: list[date], heads: dict[int, tuple[int, int]]) -> int:
    from samdrift.servicedesk.models import Category, Status, Ticket
    from samdrift.tenancy.models import Person

    count = 0
    rows = []
    for owner in owners:
        requesters = list(
            Person.objects.filter(owner=owner, kind="employee", active=True).values_list("pk", flat=True)[:300]
        )
        categories = list(Category.objects.filter(owner=owner, active=True).values_list("pk", flat=True))
        if not requesters:
            continue
        employees = max(heads.get(owner.pk, (0, 0))[0], 50)
        # Each owner its own level of service, so the owners differ from the group average.
        breach_rate = rng.uniform(0.06, 0.18)
        for index, month in enumerate(months):
            n = int(Decimal(employees) * TICKETS_PER_EMPLOYEE_MONTH * Decimal(rng.uniform(0.8, 1.2)))
            for _i in range(n):
                count += 1
                day = month + timedelta(days=rng.randrange(28))
                created = _aware(day, rng.uniform(0, 8))
                first = created + timedelta(minutes=rng.randint(5, 240))
                resolved = created + timedelta(hours=rng.uniform(1, 24 * 6))
                # Service improves a little over the two years.
                breached = rng.random() < breach_rate * (1.2 - index / (2 * len(months)))
                rows.append(
                    Ticket(
                        owner=owner,
                        number=f"H{month:%y%m}-{count:06d}",
                        subject="Ärende (historik)",
                        requester_id=rng.choice(requesters),
                        category_id=rng.choice(categories) if categories else None,
                        status=Status.CLOSED,
                        created=created,
                        updated=resolved,
                        first_responded_at=first,
                        resolved_at=resolved,
                        closed_at=resolved + timedelta(days=3),
                        first_response_breached=rng.random() < breach_rate / 2,
                        resolution_breached=breached,
                        csat_score=rng.choice([3, 4, 4, 5, 5, 5]) if rng.random() < 0.35 else None,
                    )
                )
    Ticket.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _orders(rng: random.Random, owners: list[Any], months: list[date]) -> int:
    from samdrift.core.roles import Role
    from samdrift.ordering.models import LineStatus, Order, OrderLine, OrderStatus, Package
    from samdrift.tenancy.models import CostCentre, Membership, Person

    made = 0
    package_id = Package.objects.filter(active=True).order_by("id").values_list("id", flat=True).first()
    if package_id is None:
        return 0
    for owner in owners:
        orderer_id = (
            Membership.objects.filter(owner=owner, role=Role.ORDERER, active=True)
            .values_list("user_id", flat=True)
            .first()
        )
        centre = CostCentre.objects.filter(owner=owner, active=True).order_by("code").first()
        recipients = list(
            Person.objects.filter(owner=owner, kind="employee", active=True).values_list("pk", flat=True)[:200]
        )
        if orderer_id is None or centre is None or not recipients:
            continue
        orders, stamps = [], []
        for index, month in enumerate(months):
            for _i in range(rng.randint(8, 16)):
                submitted = _aware(month + timedelta(days=rng.randrange(20)), rng.uniform(0, 8))
                speed = 1.3 - index / (2 * len(months))  # deliveries get faster
                approved = submitted + timedelta(hours=rng.uniform(2, 72) * speed)
                ordered = approved + timedelta(hours=rng.uniform(1, 30) * speed)
                delivered = ordered + timedelta(days=rng.uniform(2, 12) * speed)
                handed = delivered + timedelta(days=rng.uniform(0.5, 6) * speed)
                price = Decimal(rng.choice(["9450.00", "12900.00", "3490.00", "7990.00"]))
                orders.append(
                    Order(
                        owner=owner,
                        orderer_id=orderer_id,
                        cost_centre=centre,
                        status=OrderStatus.CLOSED,
                        one_time_total=price,
                        submitted_at=submitted,
                        decided_at=approved,
                    )
                )
                stamps.append((submitted, approved, ordered, delivered, handed, price))
        created = Order.objects.bulk_create(orders, batch_size=1000)
        if not created or created[0].pk is None:  # a backend that returns no ids: read them back
            created = list(Order.objects.filter(owner=owner, status=OrderStatus.CLOSED).order_by("id"))[-len(orders) :]
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    owner=owner,
                    order=order,
                    recipient_id=rng.choice(recipients),
                    package_id=package_id,
                    description="Dator (historik)",
                    one_time_price=price,
                    status=LineStatus.HANDED_OVER,
                    submitted_at=s,
                    approved_at=a,
                    ordered_at=o,
                    confirmed_at=o + timedelta(hours=4),
                    delivered_at=d,
                    handed_over_at=h,
                )
                for order, (s, a, o, d, h, price) in zip(created, stamps, strict=True)
            ],
            batch_size=1000,
        )
        made += len(orders)
    return made


def load_app_demo(seed: int = 2026) -> dict[str, int]:
    """Two years of history for every demo owner, then the summary tables for them."""
    from samdrift.tenancy import services as tenancy_services
    from samdrift.tenancy.models import Owner

    rng = random.Random(seed)
    today = timezone.localdate()
    owners = list(Owner.objects.filter(active=True).order_by("name"))
    if not owners:
        return {}
    months = _history_months(today)
    heads = tenancy_services.get_headcounts_by_owner([o.pk for o in owners])
    with transaction.atomic():
        lines = _invoices(rng, owners, months, heads)
        tickets = _tickets(rng, owners, months, heads)
        orders = _orders(rng, owners, months)
    trend = months_back(add_months(today.replace(day=1), -1), HISTORY_MONTHS + 1)
    refresh_owner_months(sorted(set(trend) | set(months)), today=today)
    return {"invoice lines": lines, "tickets": tickets, "orders": orders, "months": len(months)}
