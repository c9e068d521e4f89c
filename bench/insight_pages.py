"""Benchmark: every role's start page and the owner insight page at national scale, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/insight_bench \\
        .venv/bin/python bench/insight_pages.py --owners 290 --tickets 1000000 --assets 2500000 \\
        --orders 500000 --months 24

1. Migrates the database and, unless tickets are already there, loads `samdrift demo --owners N
   --people P` and generates, with set-based SQL (INSERT … SELECT over generate_series): tickets
   spread over the months with SLA outcomes and ratings, devices bought over six years, orders
   each with one handed-over line and its stage times, and issued invoices (one per owner and
   month, lines per cost centre and article); then VACUUM ANALYZE.
2. Times the job that fills the summary tables (all owners, all months), then the hourly job's
   refresh (the current and the previous month).
3. Requests in-process (Django test client, server time only) the start page as each role and
   the insight page as finance and as an owner viewer, --repeat times each; reports p50/p95 in
   ms and queries per request. Prints a table and writes JSON to bench/results/.

Run by hand, never in CI. Target: every page under 300 ms at p95.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
os.environ.setdefault("SAMDRIFT_DEBUG", "0")


def insert_select(model: Any, n: int, exprs: dict[str, str], params: dict[str, Any]) -> None:
    """INSERT INTO model's table SELECT … FROM generate_series(1, n) AS g: the given SQL expression
    per column; every other NOT NULL column gets its field default as a parameter."""
    from django.db import connection

    columns, values = [], []
    extra: dict[str, Any] = dict(params)
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.column in exprs:
            columns.append(f.column)
            values.append(exprs[f.column])
        elif not f.null:
            default = f.get_default()
            if isinstance(default, (dict, list)):
                default = json.dumps(default)
            key = f"d_{f.column}"
            extra[key] = default
            columns.append(f.column)
            values.append(f"%({key})s")
    unknown = set(exprs) - set(columns)
    assert not unknown, unknown
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, {int(n)}) AS g"
    )
    with connection.cursor() as cur:
        cur.execute(sql, extra)


def generate(args: argparse.Namespace) -> None:
    from django.db import connection

    from samdrift.assets.models import Asset, AssetModel, Manufacturer
    from samdrift.billing.models import Article, BillingPeriod, Invoice, InvoiceLine, PeriodStatus
    from samdrift.insight.refresh import add_months, months_back
    from samdrift.ordering.models import Order, OrderLine, Package
    from samdrift.servicedesk.models import Ticket
    from samdrift.tenancy.models import CostCentre, Membership

    if Ticket.objects.exists():
        print("data exists, not generating")
        return
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT array_agg(id), array_agg(owner_id) FROM tenancy_person WHERE kind = 'employee'")
        people, people_owner = cur.fetchone()
    owners = sorted(set(people_owner))
    today = date.today()
    months = months_back(add_months(today.replace(day=1), -1), args.months)
    span_days = (today - months[0]).days
    # Tickets: spread over the months, most resolved, some breached, a third rated.
    insert_select(
        Ticket,
        args.tickets,
        {
            "owner_id": "(%(po)s::bigint[])[1 + (g %% cardinality(%(po)s::bigint[]))]",
            "number": "'IB-' || lpad(g::text, 8, '0')",
            "subject": "'Ärende ' || g",
            "requester_id": "(%(pp)s::bigint[])[1 + (g %% cardinality(%(pp)s::bigint[]))]",
            "priority": "1 + g %% 4",
            "status": "(ARRAY['new','assigned','in_progress','resolved','closed','closed','closed','closed'])[1 + g %% 8]",
            "created": "now() - ((g %% %(span)s) || ' days')::interval - ((g %% 480) || ' minutes')::interval",
            "updated": "now()",
            "first_responded_at": "now() - ((g %% %(span)s) || ' days')::interval + interval '1 hour'",
            "resolved_at": "CASE WHEN g %% 8 >= 3 THEN now() - ((g %% %(span)s) || ' days')::interval + ((g %% 100) || ' hours')::interval END",
            "first_response_breached": "g %% 17 = 0",
            "resolution_breached": "g %% 9 = 0",
            "csat_score": "CASE WHEN g %% 3 = 0 THEN 1 + g %% 5 END",
        },
        {"po": people_owner, "pp": people, "span": span_days},
    )
    print(f"  tickets: {time.perf_counter() - t0:.0f} s")
    # Devices: bought over six years, a few models with lifetimes and prices.
    maker, _ = Manufacturer.objects.get_or_create(name="Benchmark AB")
    models = [
        AssetModel.objects.get_or_create(
            manufacturer=maker, name=f"Bänk {i}", defaults={"category": "laptop", "expected_lifetime_months": 36 + 12 * i,
                                                             "list_price": 9000 + 1000 * i}
        )[0].pk
        for i in range(3)
    ]  # fmt: skip
    t1 = time.perf_counter()
    insert_select(
        Asset,
        args.assets,
        {
            "owner_id": "(%(owners)s::bigint[])[1 + (g %% cardinality(%(owners)s::bigint[]))]",
            "asset_tag": "'IB' || g",
            "model_id": "(%(models)s::bigint[])[1 + (g %% 3)]",
            "manufacturer_id": "%(maker)s",
            "status": "(ARRAY['deployed','deployed','deployed','in_stock','returned','recycled'])[1 + g %% 6]",
            "purchase_date": "current_date - (g %% 2190)",
            "created": "now()",
        },
        {"owners": owners, "models": models, "maker": maker.pk},
    )
    print(f"  assets: {time.perf_counter() - t1:.0f} s")
    # Orders: one handed-over line each, stage times growing with g.
    package = Package.objects.order_by("id").values_list("id", flat=True).first()
    if package is None:  # the synthetic demo has no catalogue: one package for the bench's orders
        package = Package.objects.create(code="IB-DATOR", name="Bänkdator").pk
    orderer = dict(
        Membership.objects.filter(role="orderer", owner__isnull=False).values_list("owner_id", "user_id").order_by()
    )
    centre = dict(CostCentre.objects.order_by("owner_id", "id").distinct("owner_id").values_list("owner_id", "id"))
    ordering_owners = [o for o in owners if o in orderer and o in centre]
    if package is None or not ordering_owners:
        print("  orders: skipped (no package or orderers in the demo)")
    else:
        t2 = time.perf_counter()
        p = {
            "oo": ordering_owners,
            "ou": [orderer[o] for o in ordering_owners],
            "oc": [centre[o] for o in ordering_owners],
            "span": span_days,
        }
        insert_select(
            Order,
            args.orders,
            {
                "owner_id": "(%(oo)s::bigint[])[1 + (g %% cardinality(%(oo)s::bigint[]))]",
                "orderer_id": "(%(ou)s::bigint[])[1 + (g %% cardinality(%(oo)s::bigint[]))]",
                "cost_centre_id": "(%(oc)s::bigint[])[1 + (g %% cardinality(%(oo)s::bigint[]))]",
                "status": "'closed'",
                "one_time_total": "9450",
                "submitted_at": "now() - ((g %% %(span)s) || ' days')::interval - interval '20 days'",
            },
            p,
        )
        with connection.cursor() as cur:
            cur.execute("SELECT min(id) FROM ordering_order")
            first_order = cur.fetchone()[0]
        insert_select(
            OrderLine,
            args.orders,
            {
                "owner_id": "(%(oo)s::bigint[])[1 + (g %% cardinality(%(oo)s::bigint[]))]",
                "order_id": f"{first_order} + g - 1",
                "recipient_id": "(%(pp)s::bigint[])[1]",
                "package_id": str(package),
                "description": "'Dator'",
                "status": "'handed_over'",
                "submitted_at": "now() - ((g %% %(span)s) || ' days')::interval - interval '20 days'",
                "approved_at": "now() - ((g %% %(span)s) || ' days')::interval - interval '20 days' + ((g %% 72) || ' hours')::interval",
                "ordered_at": "now() - ((g %% %(span)s) || ' days')::interval - interval '16 days'",
                "delivered_at": "now() - ((g %% %(span)s) || ' days')::interval - ((g %% 9) || ' days')::interval",
                "handed_over_at": "now() - ((g %% %(span)s) || ' days')::interval",
            },
            {**p, "pp": people},
        )
        print(f"  orders: {time.perf_counter() - t2:.0f} s")
    # Invoices: one issued invoice per owner and month, lines per cost centre and article.
    t3 = time.perf_counter()
    articles = [
        Article.objects.get_or_create(code=f"IB-{i}", defaults={"name": f"Tjänst {i}", "revenue_account": "3010"})[0].pk
        for i in range(4)
    ]
    for month in months:
        period, _ = BillingPeriod.objects.get_or_create(
            year=month.year, month=month.month, defaults={"status": PeriodStatus.CLOSED}
        )
        insert_select(
            Invoice,
            len(owners),
            {
                "owner_id": "(%(owners)s::bigint[])[g]",
                "period_id": str(period.pk),
                "number": f"'IB{month:%Y%m}-' || g",
                "buyer_reference": "'REF'",
                "issue_date": "%(day)s",
                "due_date": "%(day)s",
                "issued_at": "now()",
            },
            {"owners": owners, "day": month},
        )
        with connection.cursor() as cur:
            cur.execute(
                f"""
                INSERT INTO {InvoiceLine._meta.db_table} (period_id, invoice_id, owner_id, cost_centre_id,
                    buyer_reference, description, quantity, unit_code, unit_price, base_quantity, amount, vat_rate,
                    vat_category, revenue_account, source_type, article_id)
                SELECT i.period_id, i.id, i.owner_id, c.id, 'REF', 'Tjänst', 10, 'C62', 45, 1,
                       450 + (c.id %% 97) + (a.n * 13), 25, 'S', '3010', 'bench', a.id
                FROM {Invoice._meta.db_table} i
                JOIN LATERAL (SELECT id FROM tenancy_costcentre WHERE owner_id = i.owner_id ORDER BY id LIMIT 5) c ON true
                CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM billing_article WHERE id = ANY(%(a)s)) a
                WHERE i.period_id = %(p)s
                """,
                {"a": articles, "p": period.pk},
            )
    print(f"  invoices: {time.perf_counter() - t3:.0f} s")
    with connection.cursor() as cur:
        for model in (Ticket, Asset, Order, OrderLine, Invoice, InvoiceLine):
            cur.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    print(f"generated in {time.perf_counter() - t0:.0f} s")


def timed(client: Any, url: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu, sql, queries = [], [], [], []
    slowest: dict[str, Any] = {}
    client.get(url)  # warm: templates, URL resolver
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(ctx.captured_queries))
        top = max(ctx.captured_queries, key=lambda q: float(q["time"]))
        slowest = {"sql": top["sql"][:300], "ms": round(float(top["time"]) * 1000, 1)}
    times.sort()
    return {
        "url": url,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        # What a busy machine inflates least: the Python CPU time of the request (rendering, ORM)
        # and, separately, the wall time spent in SQL (which waits for a core like everything else).
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "sql_p50_ms": round(statistics.median(sql), 1),
        "queries": max(queries),
        "slowest_query_ms": slowest.get("ms"),
        "slowest_sql": slowest.get("sql", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--owners", type=int, default=290)
    parser.add_argument("--people", type=int, default=290_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--assets", type=int, default=2_500_000)
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument(
        "--no-history-refresh", action="store_true", help="data already refreshed: time only the hourly refresh"
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("run on PostgreSQL: --database-url postgres://…")
    os.environ["DATABASE_URL"] = args.database_url
    from bench.benchdb import ensure_database

    ensure_database(args.database_url, reset=args.reset)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    call_command("demo", "--if-empty", "--owners", str(args.owners), "--people", str(args.people), verbosity=0)
    print(f"demo owners and people: {time.perf_counter() - t0:.0f} s")
    generate(args)

    from samdrift.insight.refresh import add_months, months_back, refresh_owner_months
    from samdrift.tenancy.models import Membership, User

    refresh_seconds = None
    if not args.no_history_refresh:
        t1 = time.perf_counter()
        result = refresh_owner_months(months_back(add_months(date.today().replace(day=1), -1), args.months + 1))
        refresh_seconds = round(time.perf_counter() - t1, 1)
        print(f"summary tables refreshed ({result}) in {refresh_seconds} s")
    t1 = time.perf_counter()
    recent = refresh_owner_months(months_back(date.today(), 2))  # what the hourly job does
    recent_seconds = time.perf_counter() - t1
    print(f"hourly refresh (current and previous month: {recent}) in {recent_seconds:.1f} s")

    def login(role: str, owner: bool = False) -> Client:
        m = Membership.objects.filter(role=role, owner__isnull=not owner, active=True).order_by("id").first()
        if m is None:
            raise SystemExit(f"no user with role {role}")
        client = Client()
        client.force_login(User.objects.get(pk=m.user_id))
        return client

    owner_id = Membership.objects.filter(role="owner_viewer").order_by("id").values_list("owner_id", flat=True).first()
    pages = [
        ("start: admin", login("admin"), "/"),
        ("start: agent", login("agent"), "/"),
        ("start: technician", login("technician"), "/"),
        ("start: finance", login("finance"), "/"),
        ("start: records officer", login("records_officer"), "/"),
        ("start: approver", login("approver", owner=True), "/"),
        ("start: orderer", login("orderer", owner=True), "/"),
        ("start: owner viewer", login("owner_viewer", owner=True), "/"),
        ("insight: owner viewer", login("owner_viewer", owner=True), f"/insight/{owner_id}/"),
        ("insight: finance", login("finance"), f"/insight/{owner_id}/"),
    ]
    rows = []
    for name, client, url in pages:
        row = {"page": name, **timed(client, url, args.repeat)}
        rows.append(row)
        print(
            f"{name:26} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  CPU {row['cpu_p50_ms']:6.1f} ms  "
            f"SQL {row['sql_p50_ms']:6.1f} ms  {row['queries']:3d} queries  (load {os.getloadavg()[0]:.1f})"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"insight_pages-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(
        json.dumps(
            {
                "args": vars(args) | {"database_url": "…"},
                "cpus": os.cpu_count(),
                "load": os.getloadavg(),
                "refresh_seconds": refresh_seconds,
                "hourly_refresh_seconds": round(recent_seconds, 1),
                "pages": rows,
            },
            indent=2,
            default=str,
        )
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()
