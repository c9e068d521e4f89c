"""Benchmark: the records search of a public access request across tickets and other records, and
a disposal batch, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/records_bench \\
        .venv/bin/python bench/records_search.py --tickets 10000000 --others 1000000 --dispose 1000000

1. Migrates and, unless tickets exist, loads `samdrift demo --owners 3 --people 3000` and generates
   tickets (subjects and descriptions from a small Swedish vocabulary, created over five years) and
   register entries with set-based SQL (generate_series); --dispose of the tickets are closed
   three years ago. Then VACUUM ANALYZE.
2. Search: as the records officer would, words plus a month, through every source
   (`samdrift.records.sources`); --repeat queries, p50/p95 in ms. The trigram indexes that answer
   it come with the migrations (servicedesk 0006, records 0004); `--no-trigram` drops them first to
   measure the search without (they are rebuilt by the next run's migrate only after
   `migrate servicedesk 0005`, see docs/operations.md).
3. Disposal: proposes the batch for the ticket record type (decision set), approves and executes
   it; seconds for each step and the process's peak memory.

Run by hand, never in CI. Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

WORDS = ["Wifi", "Skrivare", "Lösenord", "Dator", "Telefon", "Nätverk", "E-post", "Skärm", "Licens", "Server"]
PLACES = ["Höörs bibliotek", "Hörby skola", "Kommunhuset", "Simhallen", "Tingsryd", "Brandstationen", "Äldreboendet"]


def generate(tickets: int, others: int, dispose: int) -> None:
    from django.db import connection

    from samdrift.servicedesk.models import Ticket

    if Ticket.objects.exists():
        print("tickets exist, not generating")
        return
    t0 = time.perf_counter()
    # As a bulk load would: the trigram indexes are dropped during the inserts and built after.
    drop_trigram_indexes()
    with connection.cursor() as cur:
        cur.execute("SELECT array_agg(id), array_agg(owner_id) FROM tenancy_person WHERE kind = 'employee'")
        people, owners = cur.fetchone()
        cur.execute(
            """
            INSERT INTO servicedesk_ticket (owner_id, number, subject, description, requester_id, channel, type,
                impact, urgency, priority, status, confidential, secrecy_ground, created, updated,
                first_response_breached, resolution_breached, sla_paused_seconds, csat_comment, closed_at)
            SELECT (%(owners)s::bigint[])[1 + (g %% cardinality(%(people)s::bigint[]))],
                   'SD-B-' || lpad(g::text, 8, '0'),
                   (%(words)s::text[])[1 + g %% 10] || ' fungerar inte på ' || (%(places)s::text[])[1 + (g / 10) %% 7],
                   'Anmälan ' || g || ' om ' || lower((%(words)s::text[])[1 + (g / 7) %% 10]),
                   (%(people)s::bigint[])[1 + (g %% cardinality(%(people)s::bigint[]))],
                   'portal', 'incident', 3, 3, 4,
                   CASE WHEN g <= %(dispose)s THEN 'closed' ELSE (ARRAY['new','in_progress','resolved','closed'])[1 + g %% 4] END,
                   false, '',
                   now() - ((g %% 1800) || ' days')::interval, now(), false, false, 0, '',
                   CASE WHEN g <= %(dispose)s THEN now() - interval '3 years' ELSE NULL END
            FROM generate_series(1, %(n)s) AS g
            """,
            {"owners": owners, "people": people, "words": WORDS, "places": PLACES, "n": tickets, "dispose": dispose},
        )
        print(f"  {tickets:,} tickets in {time.perf_counter() - t0:.0f} s")
        cur.execute("SELECT id FROM records_series WHERE code = 'SAM'")
        series = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO records_case (series_id, year, number, registration_number, registered, direction,
                counterparty, subject, object_id, status, created)
            SELECT %(series)s, 2000 + g %% 26, g, 'SAM ' || (2000 + g %% 26) || '/' || g,
                   make_date(2000 + g %% 26, 1 + g %% 12, 1 + g %% 28), 'incoming', 'Leverantör ' || g %% 500,
                   'Skrivelse om ' || lower((%(words)s::text[])[1 + g %% 10]) || ' i ' || (%(places)s::text[])[1 + (g / 10) %% 7],
                   '', 'open', now() - ((g %% 9000) || ' days')::interval
            FROM generate_series(1, %(n)s) AS g
            """,
            {"series": series, "words": WORDS, "places": PLACES, "n": others},
        )
        print(f"  {others:,} register entries in {time.perf_counter() - t0:.0f} s")
        t1 = time.perf_counter()
        create_trigram_indexes()
        print(f"  trigram indexes built in {time.perf_counter() - t1:.0f} s")
        cur.execute("VACUUM ANALYZE servicedesk_ticket")
        cur.execute("VACUUM ANALYZE records_case")
    print(f"generated {tickets:,} tickets and {others:,} register entries in {time.perf_counter() - t0:.0f} s")


def _trigram_migrations() -> list[Any]:
    import importlib

    return [
        importlib.import_module("samdrift.servicedesk.migrations.0006_ticket_trigram_indexes"),
        importlib.import_module("samdrift.records.migrations.0004_case_trigram_indexes"),
    ]


def create_trigram_indexes() -> None:
    """The migrations' indexes, built once over the loaded rows (what `migrate` does on a live
    database)."""
    from django.db import connection

    from samdrift.core import trigram

    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")  # GIN builds over millions of rows
    for migration in _trigram_migrations():
        forwards, _backwards = trigram.create(migration.INDEXES)
        with connection.schema_editor() as editor:
            forwards(None, editor)


def drop_trigram_indexes() -> None:
    """For a before/after comparison: the search without the migrations' trigram indexes."""
    from django.db import connection

    with connection.cursor() as cur:
        for migration in _trigram_migrations():
            for columns in migration.INDEXES.values():
                for name in columns:
                    cur.execute(f"DROP INDEX IF EXISTS {name}")
    print("trigram indexes dropped")


def search(repeat: int) -> dict[str, Any]:
    from samdrift.records.sources import SOURCES

    queries = [
        ("wifi Höörs bibliotek", date(2025, 10, 1), date(2025, 10, 31)),
        ("skrivare Hörby", date(2025, 3, 1), date(2025, 3, 31)),
        ("lösenord kommunhuset", None, None),
        ("nätverk simhallen", date(2024, 1, 1), date(2024, 12, 31)),
    ]
    times = []
    hits = 0
    for i in range(repeat):
        q, start, end = queries[i % len(queries)]
        t0 = time.perf_counter()
        for source in SOURCES.values():
            hits += len(source.search(q, start, end))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "hits_per_search": round(hits / repeat, 1),
    }


def disposal(n: int) -> dict[str, Any]:
    from django.db import connection

    from samdrift.records import actions
    from samdrift.records.models import RecordType
    from samdrift.tenancy.models import User

    officer = User.objects.get(username="registrator")
    tickets = RecordType.objects.get(code="tickets")
    tickets = actions.do_update_record_type(tickets, {"decision": "Bench: styrelsebeslut § 14"}, actor=officer)
    from samdrift.records.models import BatchStatus, DisposalBatch

    # a batch left undecided by an interrupted run is rejected first, so the proposal is measured
    for old in DisposalBatch.objects.filter(record_type=tickets, status=BatchStatus.PROPOSED):
        actions.do_reject_batch(old, actor=officer)
    DisposalBatch.objects.filter(record_type=tickets, status=BatchStatus.APPROVED).update(status=BatchStatus.REJECTED)
    with connection.cursor() as cur:  # a rerun: close old tickets again until n are past retention
        cur.execute("SELECT count(*) FROM servicedesk_ticket WHERE closed_at < now() - interval '2 years'")
        missing = n - cur.fetchone()[0]
        if missing > 0:
            cur.execute(
                "UPDATE servicedesk_ticket SET status = 'closed', closed_at = now() - interval '3 years' "
                "WHERE id IN (SELECT id FROM servicedesk_ticket WHERE closed_at IS NULL ORDER BY id LIMIT %s)",
                [missing],
            )
    t0 = time.perf_counter()
    batch = actions.propose_disposal(tickets, actor=officer)
    proposed = time.perf_counter() - t0
    assert batch is not None, "nothing past retention: regenerate the bench database"
    actions.do_approve_batch(batch, "Bench: styrelsebeslut § 14", actor=officer)
    t1 = time.perf_counter()
    batch = actions.do_execute_batch(batch, actor=officer)
    executed = time.perf_counter() - t1
    return {
        "records": batch.item_count,
        "disposed": batch.disposed_count,
        "propose_s": round(proposed, 1),
        "execute_s": round(executed, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--others", type=int, default=1_000_000)
    parser.add_argument("--dispose", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--no-trigram", action="store_true", help="drop the trigram indexes first (before/after)")
    parser.add_argument("--skip-disposal", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database of its own")
    call_command("migrate", verbosity=0)
    from samdrift.tenancy.models import Owner

    if not Owner.objects.exists():
        call_command("demo", "--owners", "3", "--people", "3000", verbosity=0)
        from samdrift.tenancy.demo import DEMO_LOGINS  # noqa: F401 - the demo made the records officer
    generate(args.tickets, args.others, args.dispose)
    if args.no_trigram:
        drop_trigram_indexes()
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "tickets": args.tickets,
        "others": args.others,
        "trigram_indexes": not args.no_trigram,
        "search": search(args.repeat),
    }
    print(f"search ({args.tickets:,} tickets, {args.others:,} register entries): {result['search']}")
    if not args.skip_disposal:
        result["disposal"] = disposal(args.dispose)
        print(f"disposal: {result['disposal']}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"records_search_{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
