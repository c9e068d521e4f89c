"""Benchmark: ordering at the scale of every municipality, on PostgreSQL.

    .venv/bin/python bench/ordering_scale.py \\
        --database-url postgres://postgres@127.0.0.1:5432/samdrift_ordering_bench \\
        --owners 290 --orders 500000 --lines-per-order 4 --articles 50000 --purchase-lines 10000

1. Creates the database if needed, migrates it and, unless owners exist, loads
   `samdrift demo --owners N` (tenancy only).
2. Creates the catalogue through the actions (supplier, framework agreement with every owner as a
   party, services, a package) and **times the price-list import of --articles articles**: the dry
   run (`do_check_price_list`) and the import (`do_apply_price_list`), then a second list that
   changes a tenth of the prices and removes a tenth (the realistic yearly update).
3. Generates --orders orders with --lines-per-order lines each by set-based SQL (generate_series),
   spread over the owners, their cost centres and people, in every status; approvers for the demo
   owners' cost centres; then VACUUM ANALYZE.
4. In-process (Django test client, server time only) requests the order list, the approval queue,
   the API order list, the lead-time report (page and CSV) and the joint-procurement view as the
   operator administrator, an owner's orderer and an approver, --repeat times each: p50/p95 in ms
   and SQL queries per request.
5. **Times purchase-order creation for --purchase-lines approved lines** (`bulk_create_purchase_orders`,
   prices of the day looked up, call-off value checked, audit events written; mail not sent).

Prints a table and writes JSON to bench/results/. Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
os.environ.setdefault("SAMDRIFT_DEBUG", "0")
# The price-list import is timed in this process (in production a list this large runs as a job).
os.environ.setdefault("SAMDRIFT_IMPORT_SYNC_ROWS", "100000000")


def price_csv(n: int, *, change_every: int = 0, drop_every: int = 0) -> bytes:
    rows = ["article_number;description;unit;category;unit_price"]
    categories = ("laptop", "chromebook", "phone", "monitor", "accessory", "licence")
    for i in range(n):
        if drop_every and i % drop_every == 1:
            continue
        price = Decimal(100 + (i * 37) % 20000)
        if change_every and i % change_every == 0:
            price += 25
        rows.append(f"ART-{i:06d};Artikel {i};st;{categories[i % len(categories)]};{price}")
    return ("\n".join(rows) + "\n").encode()


def setup_catalogue(articles: int) -> dict[str, Any]:
    from samdrift.billing import actions as billing_actions
    from samdrift.billing.models import Article
    from samdrift.ordering import actions, imports
    from samdrift.ordering.models import Agreement, Package
    from samdrift.tenancy.demo import fictitious_orgnr
    from samdrift.tenancy.models import Owner, User

    admin = User.objects.get(username="admin")
    figures: dict[str, Any] = {}
    existing = Agreement.objects.filter(reference="BENCH-1").first()
    supplier = (
        existing.supplier
        if existing
        else actions.do_create_supplier(
            {"name": "Benchleverantör AB", "org_number": fictitious_orgnr(991)}, actor=admin
        )
    )
    today = actions.today()
    # The import is timed on a fresh agreement every run; the first one carries the package.
    reference = "BENCH-1" if existing is None else f"BENCH-{Agreement.objects.count() + 1}"
    agreement = actions.do_create_agreement(
        {"reference": reference, "name": "Bänkavtal", "supplier": supplier, "parties": list(Owner.objects.all()),
         "start": today - timedelta(days=400), "end": today + timedelta(days=700), "max_value": Decimal("1e11"),
         "responsible": admin, "handling_fee_percent": Decimal("4")},
        actor=admin,
    )  # fmt: skip
    first = price_csv(articles)
    t0 = time.perf_counter()
    imp = imports.do_check_price_list(agreement, first, "bench.csv", agreement.start, actor=admin)
    figures["import_dry_run_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    imports.do_apply_price_list(imp, actor=admin)
    figures["import_apply_s"] = round(time.perf_counter() - t0, 2)
    second = price_csv(articles, change_every=10, drop_every=10)
    t0 = time.perf_counter()
    imp2 = imports.do_check_price_list(agreement, second, "bench2.csv", today - timedelta(days=30), actor=admin)
    figures["update_dry_run_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    imports.do_apply_price_list(imp2, actor=admin)
    figures["update_apply_s"] = round(time.perf_counter() - t0, 2)
    figures["update_counts"] = {"new": imp2.new_count, "changed": imp2.changed_count, "removed": imp2.removed_count}
    print("price-list import of", articles, "articles:", figures, flush=True)
    if existing is not None:
        return {"agreement": existing, "package": Package.objects.get(code="BENCH-PKG"), "admin": admin, **figures}
    art = Article.objects.filter(code="BENCH-HW").first() or billing_actions.do_create_article(
        {"code": "BENCH-HW", "name": "Hårdvara", "revenue_account": "3045"}, actor=None
    )
    svc = actions.do_create_service(
        {"code": "BENCH-KLIENT", "name": "Klienttjänst", "kind": "monthly", "billing_article": art,
         "price": Decimal("395"), "price_from": agreement.start},
        actor=admin,
    )  # fmt: skip
    package = actions.do_create_package({"code": "BENCH-PKG", "name": "Medarbetardator"}, actor=admin)
    for number in ("ART-000000", "ART-000003"):
        actions.do_add_package_line(
            package, {"agreement": agreement, "article_number": number, "billing_article": art}, actor=admin
        )
    actions.do_add_package_line(package, {"service": svc}, actor=admin)
    return {"agreement": agreement, "package": package, "admin": admin, **figures}


def generate(orders: int, per_order: int, package_id: int, *, status_sql: str = "") -> list[int]:
    """Insert orders and lines by SQL; returns the new order ids' range [first, last]."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT array_agg(owner_id ORDER BY owner_id), array_agg(cc ORDER BY owner_id),
                      array_agg(person ORDER BY owner_id)
               FROM (SELECT c.owner_id, min(c.id) AS cc,
                            (SELECT min(p.id) FROM tenancy_person p WHERE p.owner_id = c.owner_id AND p.kind = 'employee') AS person
                     FROM tenancy_costcentre c GROUP BY c.owner_id) t WHERE person IS NOT NULL"""
        )
        owners, centres, people = cur.fetchone()
        cur.execute("SELECT id FROM tenancy_user WHERE username = 'horby.bestallare'")
        (orderer,) = cur.fetchone()
        cur.execute("SELECT coalesce(max(id), 0) FROM ordering_order")
        (before,) = cur.fetchone()
        statuses = status_sql or (
            "(ARRAY['submitted','approved','rejected','ordered','delivered','closed','closed','closed','cancelled','closed'])[1 + g %% 10]"
        )
        cur.execute(
            f"""
            INSERT INTO ordering_order (owner_id, orderer_id, cost_centre_id, delivery_site_id, delivery_address, note,
                status, one_time_total, monthly_total, approval_level, submitted_at, decided_at, decided_by_id,
                decision_reason, approval_round)
            SELECT (%(owners)s::bigint[])[1 + g %% cardinality(%(owners)s::bigint[])],
                   %(orderer)s,
                   (%(centres)s::bigint[])[1 + g %% cardinality(%(owners)s::bigint[])],
                   NULL, 'Gatan 1', '', {statuses}, 11425.00, 395.00, 1,
                   now() - (g %% 700) * interval '1 day', NULL, NULL, '', 1
            FROM generate_series(1, %(n)s) g
            """,
            {"owners": owners, "centres": centres, "orderer": orderer, "n": orders},
        )
        cur.execute(
            """
            INSERT INTO ordering_orderline (owner_id, order_id, recipient_id, package_id, service_id, quantity,
                description, one_time_price, monthly_price, status, submitted_at, approved_at, ordered_at,
                confirmed_at, delivered_at, handed_over_at)
            SELECT o.owner_id, o.id, (%(people)s::bigint[])[array_position(%(owners)s::bigint[], o.owner_id)],
                   %(package)s, NULL, 1, 'Medarbetardator', 11425.00, 395.00,
                   CASE o.status WHEN 'submitted' THEN 'open' WHEN 'closed' THEN 'handed_over'
                                 WHEN 'rejected' THEN 'cancelled' ELSE o.status END,
                   o.submitted_at, o.submitted_at + interval '1 day', o.submitted_at + interval '2 days',
                   o.submitted_at + interval '3 days', o.submitted_at + interval '9 days',
                   o.submitted_at + interval '11 days'
            FROM ordering_order o, generate_series(1, %(per)s) k
            WHERE o.id > %(before)s
            """,
            {"people": people, "owners": owners, "package": package_id, "per": per_order, "before": before},
        )
        cur.execute("SELECT min(id), max(id) FROM ordering_order WHERE id > %s", [before])
        first, last = cur.fetchone()
    return [first, last]


def timed(client: Any, url: str, repeat: int) -> dict[str, Any]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    times, queries = [], []
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(ctx.captured_queries))
    times.sort()
    return {
        "url": url,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "queries": sorted(set(queries)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--owners", type=int, default=290)
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--lines-per-order", type=int, default=4)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--purchase-lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("--database-url postgres://... (or DATABASE_URL) is required: the benchmark is for PostgreSQL")
    from bench.benchdb import ensure_database

    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    from samdrift.ordering import purchasing
    from samdrift.ordering.models import Approver, Order
    from samdrift.tenancy.models import CostCentre, Owner, User

    call_command("migrate", verbosity=0)
    if not Owner.objects.exists():
        print(f"loading demo with {args.owners} owners ...")
        call_command("demo", owners=args.owners, verbosity=0)
    result: dict[str, Any] = {
        "args": vars(args) | {"database_url": "(hidden)"},
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
    }
    cat = setup_catalogue(args.articles)
    for key in ("import_dry_run_s", "import_apply_s", "update_dry_run_s", "update_apply_s", "update_counts"):
        if key in cat:
            result[key] = cat[key]
    if Order.objects.count() < args.orders:
        t0 = time.perf_counter()
        generate(args.orders - Order.objects.count(), args.lines_per_order, cat["package"].pk)
        result["generate_s"] = round(time.perf_counter() - t0, 1)
        for login in ("horby.attest", "hoor.attest"):
            user = User.objects.get(username=login)
            owner_id = user.memberships.get(role="approver").owner_id
            for centre in CostCentre.objects.filter(owner_id=owner_id)[:5]:
                Approver.objects.get_or_create(owner_id=owner_id, cost_centre=centre, user=user, defaults={"level": 1})
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE ordering_order")
            cur.execute("VACUUM ANALYZE ordering_orderline")
    result["orders"] = Order.objects.count()
    from samdrift.ordering.models import OrderLine

    result["lines"] = OrderLine.objects.count()

    pages = []
    for username, urls in (
        ("admin", ["/ordering/orders/", "/ordering/orders/?status=submitted", "/api/v1/ordering/orders/",
                   "/api/v1/ordering/orders/?status=submitted", "/ordering/lead-times/",
                   "/ordering/lead-times/?export=csv", "/ordering/joint-procurement/"]),
        ("horby.bestallare", ["/ordering/orders/", "/ordering/orders/?status=submitted", "/api/v1/ordering/orders/",
                              "/ordering/lead-times/"]),
        ("horby.attest", ["/ordering/orders/approval/", "/ordering/orders/?status=submitted"]),
    ):  # fmt: skip
        client = Client()
        client.force_login(User.objects.get(username=username))
        for url in urls:
            row = timed(client, url, args.repeat)
            row["user"] = username
            pages.append(row)
            print(
                f"{username:18} {url:45} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  queries {row['queries']}"
            )
    result["pages"] = pages

    per = args.lines_per_order
    first, last = generate(args.purchase_lines // per, per, cat["package"].pk, status_sql="'approved'")
    with connection.cursor() as cur:
        cur.execute("UPDATE ordering_orderline SET status = 'approved' WHERE order_id BETWEEN %s AND %s", [first, last])
    t0 = time.perf_counter()
    po = purchasing.bulk_create_purchase_orders(
        Order.objects.filter(pk__range=(first, last)), actor=None, send=False, day=date.today()
    )
    result["purchase"] = {
        "approved_lines": OrderLine.objects.filter(order_id__gte=first, order_id__lte=last).count(),
        "seconds": round(time.perf_counter() - t0, 2),
        "purchase_orders": len(po.purchase_orders),
        "po_lines": po.lines,
        "refused": len(po.refused),
    }
    print(
        "price list import:",
        {k: result.get(k) for k in ("import_dry_run_s", "import_apply_s", "update_dry_run_s", "update_apply_s")},
    )
    print("purchase orders:", result["purchase"])
    result["load_after"] = os.getloadavg()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"ordering_scale-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print("written", path)


if __name__ == "__main__":
    main()
