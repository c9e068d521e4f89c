"""Benchmark: the agent queue page and the API ticket list at scale, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench \\
        .venv/bin/python bench/servicedesk_queue.py --owners 290 --tickets 1000000 --comments 5000000

1. Migrates the database and, unless tickets are already there, loads `samdrift demo --owners N`
   and then generates tickets and comments with set-based SQL (generate_series), spread over the
   owners' people, statuses, priorities and the support groups; then VACUUM ANALYZE.
2. As an agent, requests in-process (Django test client, server time only) the queue page for each
   queue and the API ticket list, --repeat times each, and reports p50/p95 in ms, requests per
   second and queries per request. Also times ticket creation through the API and a knowledge
   base search. Prints a table and writes JSON to bench/results/.

Run by hand, never in CI. Target: queue page under 100 ms at p95 at 1,000,000 tickets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
os.environ.setdefault("SAMDRIFT_DEBUG", "0")


def generate(tickets: int, comments: int) -> None:
    from django.db import connection

    from samdrift.servicedesk.models import Comment, SupportGroup, Ticket
    from samdrift.tenancy.models import Membership

    if Ticket.objects.exists():
        if not Comment.objects.exists() and comments:
            generate_comments(tickets, comments)
        print("tickets exist, not generating")
        return
    agents = list(Membership.objects.filter(role="agent", owner__isnull=True).values_list("user_id", flat=True))
    if not SupportGroup.objects.exists():
        for name in ("Servicedesk", "Klient", "Nätverk", "Server"):
            SupportGroup.objects.create(name=name)  # bench data only; the app writes through actions
    groups = list(SupportGroup.objects.values_list("pk", flat=True))
    year = datetime.now(UTC).year
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT array_agg(id), array_agg(owner_id) FROM tenancy_person WHERE kind = 'employee'")
        people, owners = cur.fetchone()
        cur.execute(
            """
            INSERT INTO servicedesk_ticket (owner_id, number, subject, description, requester_id, channel, type,
                impact, urgency, priority, status, group_id, assignee_id, confidential, secrecy_ground, created,
                updated, first_response_due, resolution_due, first_response_breached, resolution_breached,
                sla_paused_seconds, csat_comment)
            SELECT (%(owners)s::bigint[])[1 + (g %% cardinality(%(people)s::bigint[]))],
                   'SD-' || %(year)s || '-' || lpad(g::text, 7, '0'),
                   'Ärende ' || g, 'Beskrivning av ärende ' || g,
                   (%(people)s::bigint[])[1 + (g %% cardinality(%(people)s::bigint[]))],
                   'portal', 'incident', 1 + g %% 3, 1 + (g / 3) %% 3, 1 + g %% 4,
                   (ARRAY['new','assigned','in_progress','waiting_requester','resolved','closed','closed','closed'])[1 + g %% 8],
                   (%(groups)s::bigint[])[1 + g %% cardinality(%(groups)s::bigint[])],
                   CASE WHEN g %% 3 = 0 THEN NULL ELSE (%(agents)s::bigint[])[1 + g %% cardinality(%(agents)s::bigint[])] END,
                   false, '', now() - (g || ' minutes')::interval, now(),
                   now() - (g || ' minutes')::interval + interval '4 hours',
                   now() - (g || ' minutes')::interval + interval '3 days', false, false, 0, ''
            FROM generate_series(1, %(n)s) AS g
            """,
            {
                "owners": owners,
                "people": people,
                "groups": groups,
                "agents": agents or [None],
                "year": year,
                "n": tickets,
            },
        )
        cur.execute(
            "INSERT INTO servicedesk_ticketcounter (year, last) VALUES (%s, %s) ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last",
            [year, tickets],
        )

    generate_comments(tickets, comments)
    print(f"generated {tickets} tickets and {comments} comments in {time.perf_counter() - t0:.1f} s")


def generate_comments(tickets: int, comments: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO servicedesk_comment (owner_id, ticket_id, kind, body, body_html, author_id, confidential,
                secrecy_ground, created)
            SELECT t.owner_id, t.id, CASE WHEN g %% 4 = 0 THEN 'note' ELSE 'reply' END, 'Kommentar ' || g, '', NULL,
                   false, '', t.created + (g %% 100 || ' minutes')::interval
            FROM generate_series(1, %(n)s) AS g
            JOIN servicedesk_ticket t ON t.id = (SELECT min(id) FROM servicedesk_ticket) + (g %% %(tickets)s)
            """,
            {"n": comments, "tickets": tickets},
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE servicedesk_ticket")
        cur.execute("VACUUM ANALYZE servicedesk_comment")


def timed(client: Any, url: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], []
    slowest: dict[str, Any] = {}
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(ctx.captured_queries))
        top = max(ctx.captured_queries, key=lambda q: float(q["time"]))
        slowest = {"sql": top["sql"], "ms": round(float(top["time"]) * 1000, 1)}
    times.sort()
    return {
        "slowest_query_ms": slowest.get("ms"),
        "slowest_sql": slowest.get("sql", ""),
        "url": url,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "rps": round(1000 / statistics.mean(times), 1),
        "queries": max(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--owners", type=int, default=290)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each page's slowest query")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database of its own")
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("demo", "--if-empty", "--owners", str(args.owners))
    generate(args.tickets, args.comments)

    from samdrift.tenancy.models import Membership, User

    year = datetime.now(UTC).year
    agent = User.objects.get(pk=Membership.objects.filter(role="agent", owner__isnull=True).values("user_id")[:1])
    client = Client()
    client.force_login(agent)
    rows = [
        timed(client, f"/servicedesk/tickets/?queue={q}", args.repeat)
        for q in ("mine", "groups", "unassigned", "breaching", "waiting", "open")
    ]
    rows.append(timed(client, "/servicedesk/tickets/", args.repeat))
    # Searches: a ticket number, and words of a subject (trigram indexes, servicedesk 0006).
    rows.append(timed(client, f"/servicedesk/tickets/?q=SD-{year}-0004711", args.repeat))
    rows.append(timed(client, "/servicedesk/tickets/?q=rende+47111", args.repeat))
    rows.append(timed(client, "/api/v1/tickets/", args.repeat))
    rows.append(timed(client, "/api/v1/knowledge-articles/?q=skrivare", args.repeat))
    person = agent.person_id or Membership.objects.values_list("owner__people", flat=True).first()
    t0 = time.perf_counter()
    for i in range(args.repeat):
        response = client.post(
            "/api/v1/tickets/", {"requester": person, "subject": f"Bench {i}"}, content_type="application/json"
        )
        assert response.status_code == 201, response.content
    create_rps = round(args.repeat / (time.perf_counter() - t0), 1)
    print(f"{'url':55} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'queries':>8} {'slowest q ms':>13}")
    for r in rows:
        print(
            f"{r['url']:55} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['rps']:>8} {r['queries']:>8} {r['slowest_query_ms']:>13}"
        )
    if args.explain:
        from django.db import connection

        for r in rows:
            print(f"\n== {r['url']}: slowest query ({r['slowest_query_ms']} ms)\n{r['slowest_sql'][:600]}")
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + r["slowest_sql"])
                print("\n".join(line for (line,) in cur.fetchall()[:25]))
    print(f"ticket creation through the API: {create_rps} per second")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"servicedesk_queue-{stamp}.json").write_text(
        json.dumps({"args": vars(args), "rows": rows, "create_per_second": create_rps}, indent=2)
    )


if __name__ == "__main__":
    main()
