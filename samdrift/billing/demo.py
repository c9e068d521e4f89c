"""Billing demo data for the three demo owners: articles, running services, a one-time charge,
usage, two shared pools with keys, hourly rates for service-desk work, a pool split by devices
when there are devices, and an open November period ready to run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from samdrift.billing import actions
from samdrift.billing.models import Article, BillingPeriod
from samdrift.tenancy.models import CostCentre, Owner

ARTICLES = [
    ("KLIENT-PERSONAL", "Klientpaket personal", "MON", "0", "3011"),
    ("KLIENT-ELEV", "Klientpaket elev", "MON", "0", "3011"),
    ("SERVER", "Virtuell server", "MON", "0", "3021"),
    ("EPOST", "E-postlåda", "MON", "0", "3022"),
    ("LAGRING", "Lagring per GB och månad", "E34", "0.85", "3031"),
    ("BACKUP", "Backup per GB och månad", "E34", "0.40", "3031"),
    ("INSTALLATION", "Installation och uppsättning", "C62", "0", "3041"),
    ("RESTVARDE", "Restvärde återtagna enheter", "C62", "0", "3990"),  # credited by take-back (circular)
]


def is_loaded() -> bool:
    return Article.objects.filter(code="KLIENT-PERSONAL").exists()


@transaction.atomic
def load_billing_demo(*, year: int = 2026, month: int = 11, actor: Any = None) -> dict[str, int]:
    """Idempotent enough for a demo: refuses when the articles already exist."""
    if is_loaded():
        raise RuntimeError("billing demo data is already loaded")
    owners = list(Owner.objects.filter(active=True).order_by("name"))
    if not owners:
        raise RuntimeError("load the tenancy demo first (samdrift demo)")
    articles = {
        code: actions.do_create_article(
            {"code": code, "name": name, "unit_code": unit, "unit_price": Decimal(price), "revenue_account": account},
            actor=actor,
        )
        for code, name, unit, price, account in ARTICLES
    }
    first = date(year, month, 1)
    counts = {"subscriptions": 0, "usage rows": 0, "charges": 0}
    csv_rows = ["owner;cost_centre;metric;quantity;unit_price"]
    for owner in owners:
        centres = list(CostCentre.objects.filter(owner=owner, active=True).order_by("code")[:6])
        if not centres:
            continue
        actions.do_save_billing_profile({"owner": owner, "default_cost_centre": centres[0]}, actor=actor)
        for i, centre in enumerate(centres):
            packages: list[tuple[str, Decimal, int, date, date | None]] = [
                ("KLIENT-PERSONAL", Decimal("499.00"), 10 + 3 * i, date(year - 1, 1, 1), None),
                ("EPOST", Decimal("45.00"), 10 + 3 * i, date(year - 1, 1, 1), None),
            ]
            if i == 1:
                packages.append(("KLIENT-ELEV", Decimal("189.00"), 40, date(year - 1, 8, 1), None))
                packages.append(("SERVER", Decimal("1450.00"), 1, date(year, month, 19), None))  # starts mid-month
            if i == 2:
                packages.append(("SERVER", Decimal("1450.00"), 1, date(year - 1, 1, 1), date(year, month, 10)))  # ends
            for code, price, count, start, end in packages:
                for n in range(count if code != "SERVER" else 1):
                    actions.do_create_subscription(
                        {
                            "owner": owner,
                            "cost_centre": centre,
                            "article": articles[code],
                            "description": f"{centre.name} {n + 1}" if code == "SERVER" else "",
                            "monthly_price": price,
                            "start": start,
                            "end": end,
                        },
                        actor=actor,
                    )
                    counts["subscriptions"] += 1
            csv_rows.append(f"{owner.municipality_code};{centre.code};LAGRING;{200 + 37 * i};")
            csv_rows.append(f"{owner.municipality_code};{centre.code};BACKUP;{400 + 51 * i};")
        actions.do_create_charge(
            {
                "owner": owner,
                "cost_centre": centres[0],
                "article": articles["INSTALLATION"],
                "description": "Uppsättning av nya skärmar (10 st, inkl. hanteringsavgift 5 %)",
                "charge_date": date(year, month, 5),
                "quantity": Decimal(10),
                "unit_price": Decimal("262.50"),
            },
            actor=actor,
        )
        counts["charges"] += 1
    report = actions.do_import_usage("\n".join(csv_rows).encode(), first, actor=actor, filename="demo-forbrukning.csv")
    counts["usage rows"] = report["imported"]
    platform = actions.do_create_cost_pool(
        {
            "code": "PLATTFORM",
            "name": "Gemensam plattform (datacenter, nätverkskärna)",
            "monthly_cost": Decimal("1000000.00"),
            "start": date(year, 1, 1),
            "revenue_account": "3091",
        },
        actor=actor,
    )
    actions.do_create_allocation_key(
        platform, basis="population", valid_from=date(year, 1, 1), actor=actor, note="Folkmängd enligt ägarregistret"
    )
    security = actions.do_create_cost_pool(
        {
            "code": "SAKERHET",
            "name": "Säkerhetsplattform (investering)",
            "kind": "investment",
            "investment": Decimal("1800000.00"),
            "depreciation_months": 36,
            "start": date(year, 1, 1),
            "revenue_account": "3092",
        },
        actor=actor,
    )
    actions.do_create_allocation_key(
        security, basis="users", valid_from=date(year, 1, 1), actor=actor, note="Aktiva personer"
    )
    if not BillingPeriod.objects.filter(year=year, month=month).exists():
        actions.do_create_period(year, month, actor=actor)
    return counts


WORK_RATES = (("consulting", "950.00"), ("on_site", "1100.00"), ("installation", "850.00"))


def load_app_demo() -> dict[str, int]:
    """The `samdrift demo` hook: the billing demo plus what comes from the other apps' demo data
    (rates for the service desk's billable time, a pool split by the assets' device counts).
    Does nothing when the billing demo is already loaded or there are no owners."""
    from samdrift.billing.external import DEVICE_STATUSES
    from samdrift.tenancy.models import Owner

    if is_loaded() or not Owner.objects.filter(active=True).exists():
        return {}
    counts = load_billing_demo()
    with transaction.atomic():
        work = actions.do_create_article(
            {"code": "ARBETE", "name": "Arbete enligt timpris", "unit_code": "HUR", "revenue_account": "3051"},
            actor=None,
        )
        for work_type, rate in WORK_RATES:
            actions.do_save_work_type_rate(
                {"work_type": work_type, "article": work, "hourly_rate": Decimal(rate)}, actor=None
            )
        counts["work-type rates"] = len(WORK_RATES)
        from samdrift.assets.models import Asset

        if Asset.objects.filter(status__in=DEVICE_STATUSES).exists():
            pool = actions.do_create_cost_pool(
                {
                    "code": "KLIENTDRIFT",
                    "name": "Klientdrift (central hantering av datorer)",
                    "monthly_cost": Decimal("85000.00"),
                    "start": date(2026, 1, 1),
                    "revenue_account": "3093",
                },
                actor=None,
            )
            actions.do_create_allocation_key(
                pool, basis="devices", valid_from=date(2026, 1, 1), actor=None, note="Enheter i bruk enligt Samdrift"
            )
            counts["pools by devices"] = 1
    return counts
