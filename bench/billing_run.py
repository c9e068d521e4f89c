"""Benchmark: the monthly billing run and Peppol XML generation, on PostgreSQL, at national scale.

    .venv/bin/python bench/billing_run.py \\
        --database-url postgres://postgres@127.0.0.1:5432/samdrift_bench_billing \\
        --owners 290 --subscriptions 2500000 --usage 10000000 --time-entries 1000000 --pools 20

1. Migrates the database and, when it has no owners, loads `samdrift demo --owners N` with few
   people (owners, org units and about 40 cost centres each). A database with billing data is
   refused unless --reset (start over) or --reuse (keep the generated data, run again).
2. Generates, with INSERT ... SELECT generate_series: subscriptions (10 % starting or ending in the
   month, so pro rata by day), usage rows, service-desk tickets with billable time entries (four
   work types, three of them with an hourly rate, a tenth of the tickets without a cost centre),
   and --pools monthly cost pools with population or user keys.
3. Runs the billing for the month through the action (system actor), prints seconds and peak
   memory, reruns it (the rerun replaces the preview) with the time of each step, then generates
   Peppol XML for every invoice and prints invoices per second. Writes JSON to bench/results/.

Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(args: argparse.Namespace, year: int, month: int) -> None:
    from django.db import connection

    from samdrift.billing import actions

    client = actions.do_create_article(
        {"code": "KLIENT", "name": "Klientpaket", "unit_code": "MON", "revenue_account": "3011"}, actor=None
    )
    storage = actions.do_create_article(
        {
            "code": "LAGRING",
            "name": "Lagring",
            "unit_code": "GB",
            "unit_price": Decimal("0.85"),
            "revenue_account": "3031",
        },
        actor=None,
    )
    work = actions.do_create_article(
        {"code": "ARBETE", "name": "Arbete", "unit_code": "HUR", "revenue_account": "3051"}, actor=None
    )
    for work_type, rate in (("consulting", "950"), ("on_site", "1100"), ("installation", "850")):
        actions.do_save_work_type_rate(
            {"work_type": work_type, "article": work, "hourly_rate": Decimal(rate)}, actor=None
        )
    first = date(year, month, 1)
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE TEMP TABLE bench_cc AS
            SELECT id, owner_id, (row_number() OVER (ORDER BY id)) - 1 AS rn FROM tenancy_costcentre;
            CREATE TEMP TABLE bench_person AS SELECT owner_id, min(id) AS id FROM tenancy_person GROUP BY owner_id;
            """
        )
        cur.execute("SELECT count(*) FROM bench_cc")
        (ncc,) = cur.fetchone()
        t = time.monotonic()
        cur.execute(
            """
            INSERT INTO billing_subscription
                (owner_id, cost_centre_id, article_id, description, monthly_price, start, "end", external_ref,
                 source_label)
            SELECT cc.owner_id, cc.id, %s, '', (199 + (g %% 5) * 100)::numeric(14, 2),
                   CASE WHEN g %% 20 = 0 THEN %s::date + (g %% 28) ELSE DATE '2025-01-01' END,
                   CASE WHEN g %% 20 = 1 THEN %s::date + (g %% 28) ELSE NULL END, '', ''
            FROM generate_series(1, %s) AS g JOIN bench_cc cc ON cc.rn = g %% %s
            """,
            [client.pk, first, first, args.subscriptions, ncc],
        )
        print(f"  {args.subscriptions:,} subscriptions in {time.monotonic() - t:.0f} s", flush=True)
        t = time.monotonic()
        cur.execute(
            """
            INSERT INTO billing_usagerow (owner_id, cost_centre_id, article_id, month, quantity, unit_price, source)
            SELECT cc.owner_id, cc.id, %s, %s, (g %% 997)::numeric(14, 4), 0.85, 'bench'
            FROM generate_series(1, %s) AS g JOIN bench_cc cc ON cc.rn = g %% %s
            """,
            [storage.pk, first, args.usage, ncc],
        )
        print(f"  {args.usage:,} usage rows in {time.monotonic() - t:.0f} s", flush=True)
        t = time.monotonic()
        tickets = max(args.time_entries // 5, 1)
        cur.execute(
            """
            INSERT INTO servicedesk_ticket
                (number, subject, description, channel, type, impact, urgency, priority, status,
                 confidential, secrecy_ground, created, updated, first_response_breached,
                 resolution_breached, sla_paused_seconds, csat_comment, owner_id, requester_id, cost_centre_id)
            SELECT 'B' || g, 'Bench', '', 'portal', 'incident', 3, 3, 4, 'closed', false, '', now(), now(),
                   false, false, 0, '', cc.owner_id, p.id, CASE WHEN g %% 10 = 0 THEN NULL ELSE cc.id END
            FROM generate_series(1, %s) AS g JOIN bench_cc cc ON cc.rn = g %% %s
            JOIN bench_person p ON p.owner_id = cc.owner_id
            """,
            [tickets, ncc],
        )
        cur.execute(
            """
            CREATE TEMP TABLE bench_ticket AS
            SELECT id, owner_id, (row_number() OVER (ORDER BY id)) - 1 AS rn FROM servicedesk_ticket
            WHERE number LIKE 'B%%'
            """
        )
        cur.execute("SELECT count(*) FROM bench_ticket")
        (nticket,) = cur.fetchone()
        cur.execute(
            """
            INSERT INTO servicedesk_timeentry (minutes, billable, work_type, note, date, created, owner_id, ticket_id, user_id)
            SELECT 15 + (g %% 8) * 15, g %% 10 <> 0,
                   (ARRAY['support', 'consulting', 'on_site', 'installation'])[1 + g %% 4], '',
                   %s::date + (g %% 28), now(), t.owner_id, t.id, (SELECT min(id) FROM tenancy_user)
            FROM generate_series(1, %s) AS g JOIN bench_ticket t ON t.rn = g %% %s
            """,
            [first, args.time_entries, nticket],
        )
        print(f"  {nticket:,} tickets, {args.time_entries:,} time entries in {time.monotonic() - t:.0f} s", flush=True)
        cur.execute("ANALYZE")
    for n in range(args.pools):
        pool = actions.do_create_cost_pool(
            {
                "code": f"POOL{n:02d}",
                "name": f"Pool {n}",
                "monthly_cost": Decimal("1000000.00") + n,
                "start": date(year, 1, 1),
                "revenue_account": "3091",
            },
            actor=None,
        )
        basis = "users" if n % 4 == 3 else "population"
        actions.do_create_allocation_key(pool, basis=basis, valid_from=date(year, 1, 1), actor=None)
    actions.do_create_period(year, month, actor=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--owners", type=int, default=290)
    parser.add_argument("--subscriptions", type=int, default=250_000)
    parser.add_argument("--usage", type=int, default=1_000_000)
    parser.add_argument("--time-entries", type=int, default=100_000)
    parser.add_argument("--pools", type=int, default=20)
    parser.add_argument("--xml-invoices", type=int, default=0, help="Peppol XML for this many invoices (0: all)")
    parser.add_argument("--output", default="", help="JSON file (default bench/results/billing_run-<time>.json)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reset", action="store_true", help="delete billing data first")
    group.add_argument("--reuse", action="store_true", help="keep the generated data and run again")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL.")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from samdrift.billing import actions, engine, outputs
    from samdrift.billing.models import Article, BillingPeriod, BillingRun, Invoice
    from samdrift.billing.sources import charge_sources
    from samdrift.tenancy.demo import is_empty, load_demo
    from samdrift.tenancy.models import Owner

    load_before = os.getloadavg()
    call_command("migrate", verbosity=0)
    if is_empty():
        t = time.monotonic()
        load_demo(owners=args.owners, people=args.owners * 10)
        print(f"tenancy data: {args.owners} owners in {time.monotonic() - t:.0f} s")
    year, month = 2026, 11
    if Article.objects.exists() and not args.reuse:
        if not args.reset:
            sys.exit("The database has billing data; use --reset to start over or --reuse to run again.")
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE billing_invoiceline, billing_invoice, billing_billingrun, billing_settlement, "
                "billing_reconciliation, billing_billingperiod, billing_usagerow, billing_subscription, billing_charge, "
                "billing_allocationfigure, billing_allocationkey, billing_costpool, billing_billingprofile, "
                "billing_worktyperate, billing_article CASCADE"
            )
            cur.execute(
                "DELETE FROM servicedesk_timeentry WHERE ticket_id IN "
                "(SELECT id FROM servicedesk_ticket WHERE number LIKE 'B%%')"
            )
            cur.execute("DELETE FROM servicedesk_ticket WHERE number LIKE 'B%%'")
    if not Article.objects.exists():
        t = time.monotonic()
        generate(args, year, month)
        print(f"billing data generated in {time.monotonic() - t:.0f} s", flush=True)
    period = BillingPeriod.objects.get(year=year, month=month)
    with connection.cursor() as cur:
        counts = {}
        for table in ("billing_subscription", "billing_usagerow", "servicedesk_timeentry", "billing_costpool"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    print("data: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()), flush=True)
    runs = []
    for attempt in ("run", "rerun"):
        t = time.monotonic()
        run = actions.do_run_billing(period, actor=None)
        seconds = time.monotonic() - t
        runs.append(
            {
                "attempt": attempt,
                "seconds": round(seconds, 1),
                "lines": run.line_count,
                "invoices": run.invoice_count,
                "net": str(run.total_net),
                "peak_mib": round(peak_mib()),
            }
        )
        print(
            f"{attempt}: {seconds:.1f} s, {run.line_count:,} lines, {run.invoice_count} invoices, "
            f"net {run.total_net:,} SEK, peak memory {peak_mib():.0f} MiB",
            flush=True,
        )
    # Where the time goes: the engine's steps, timed through its on_step hook (a third run).
    run = BillingRun.objects.create(period=period)
    names = ["clear", *[s.key for s in charge_sources()]]
    stamps = [time.monotonic()]
    original = engine.clear_period

    def timed_clear(p: BillingPeriod) -> None:
        original(p)
        stamps.append(time.monotonic())

    engine.clear_period = timed_clear  # type: ignore[assignment]
    try:
        engine.execute_run(run, on_step=lambda: stamps.append(time.monotonic()))
    finally:
        engine.clear_period = original  # type: ignore[assignment]
    end = time.monotonic()
    steps = {name: round(b - a, 2) for name, a, b in zip(names, stamps, stamps[1:], strict=False)}
    steps["invoices"] = round(end - stamps[-1], 2)
    print("steps (s): " + ", ".join(f"{k} {v}" for k, v in steps.items()), flush=True)
    invoices = list(
        Invoice.objects.filter(period=period).select_related("owner", "period", "credited_invoice").order_by("pk")
    )
    if args.xml_invoices:
        invoices = invoices[: args.xml_invoices]
    t = time.monotonic()
    size = sum(len(outputs.invoice_xml(inv)) for inv in invoices)
    seconds = time.monotonic() - t
    xml = {
        "invoices": len(invoices),
        "seconds": round(seconds, 1),
        "per_second": round(len(invoices) / seconds, 1),
        "kib_each": round(size / len(invoices) / 1024),
    }
    print(
        f"Peppol XML: {len(invoices)} invoices in {seconds:.1f} s = {xml['per_second']} invoices/s "
        f"({xml['kib_each']} KiB each)"
    )
    print(f"owners in database: {Owner.objects.count()}, period {BillingPeriod.objects.get(pk=period.pk)}")
    load_after = os.getloadavg()
    print(f"Load average before {load_before[0]:.1f}, after {load_after[0]:.1f} ({os.cpu_count()} CPUs)")
    out = Path(args.output or Path(__file__).parent / "results" / f"billing_run-{datetime.now():%Y%m%d-%H%M%S}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "args": vars(args) | {"database_url": "(hidden)"},
                "data": counts,
                "runs": runs,
                "steps": steps,
                "xml": xml,
                "cpus": os.cpu_count(),
                "load_before": load_before,
                "load_after": load_after,
            },
            indent=2,
        )
    )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
