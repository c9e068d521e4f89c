"""Billing rows for owners A and B: subscriptions, one-time charges, usage, an hourly rate, a pool
with its key, and a January 2020 period run once, so invoices and lines exist.

Kept in 2020 so that billing tests of other months are not disturbed by these rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from samdrift.billing import actions
from samdrift.billing.models import Invoice


def extend(world: Any) -> None:
    fin = world.finance
    article = actions.do_create_article(
        {"code": "W-KLIENT", "name": "Klientpaket", "unit_code": "MON", "revenue_account": "3010"}, actor=fin
    )
    for ow in (world.a, world.b):
        ow.extra["subscription"] = actions.do_create_subscription(
            {
                "owner": ow.owner,
                "cost_centre": ow.cost_centre,
                "article": article,
                "description": f"Dator {ow.marker}",
                "monthly_price": Decimal("450.00"),
                "start": date(2019, 6, 1),
                "end": date(2020, 1, 31),
            },
            actor=fin,
        )
        ow.extra["charge"] = actions.do_create_charge(
            {
                "owner": ow.owner,
                "cost_centre": ow.cost_centre,
                "article": article,
                "description": f"Uppsättning {ow.marker}",
                "charge_date": date(2020, 1, 15),
                "quantity": Decimal(2),
                "unit_price": Decimal("125.00"),
            },
            actor=fin,
        )
        ow.extra["billing_profile"] = actions.do_save_billing_profile(
            {
                "owner": ow.owner,
                "default_cost_centre": ow.cost_centre,
                "payment_days": 30,
                "peppol_endpoint": "",
                "pdf_email": f"faktura.{ow.marker.lower()}@example.se",
            },
            actor=fin,
        )
    usage = "owner;cost_centre;metric;quantity;unit_price\n" + "".join(
        f"{ow.owner.municipality_code};{ow.cost_centre.code};W-KLIENT;3;1.50\n" for ow in (world.a, world.b)
    )
    actions.do_import_usage(usage.encode(), date(2020, 1, 1), actor=fin, filename="world.csv")
    rate = actions.do_save_work_type_rate(
        {"work_type": "consulting", "article": article, "hourly_rate": Decimal("900.00")}, actor=fin
    )
    pool = actions.do_create_cost_pool(
        {
            "code": "W-POOL",
            "name": "Nätverk",
            "monthly_cost": Decimal("1000.00"),
            "start": date(2020, 1, 1),
            "end": date(2020, 1, 31),
            "revenue_account": "3090",
        },
        actor=fin,
    )
    key = actions.do_create_allocation_key(pool, basis="population", valid_from=date(2020, 1, 1), actor=fin)
    period = actions.do_create_period(2020, 1, actor=fin)
    run = actions.do_run_billing(period, actor=fin)
    # Drafts are dated the day of the run; keep them in 2020 too, out of the SIE files of the months
    # other tests export (an open period's drafts dated in a month keep its file preliminary).
    Invoice.objects.filter(period=period).update(issue_date=date(2020, 1, 31), due_date=date(2020, 3, 1))
    world.extra["billing"] = {"article": article, "pool": pool, "key": key, "period": period, "run": run}
    # Operator-level rows that name owner B, for the isolation test's routes taken by <pk>.
    world.b.extra["billing_period"] = period
    world.b.extra["billing_run"] = run
    world.b.extra["billing_pool"] = pool
    world.b.extra["billing_key"] = key
    world.b.extra["billing_article"] = article
    world.b.extra["billing_rate"] = rate
    # A year-end file waiting to be read (a job of the worker; the world runs no tasks).
    world.b.extra["billing_job"] = actions.do_start_reconciliation(
        b"#SIETYP 4\r\n", 2019, period, actor=fin, filename="world.se", dry_run=True
    )
