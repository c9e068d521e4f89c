"""Where the time of creating a ticket goes, part by part, in-process on PostgreSQL.

    .venv/bin/python bench/servicedesk_create_parts.py \\
        --database-url postgres://postgres@127.0.0.1:5432/speed_sd1m --count 300

Creates `--count` tickets through `do_create_ticket` as the demo agent (what the API and the
agent's form call) with realistic text, and times each part by wrapping it: the priority matrix
with the owner's SLA policy (one query), the SLA due dates on the business calendar, validation, the numbering lock (the per-year counter
row), the insert itself (with the upkeep of the ticket's indexes, the trigram word-search indexes
among them), the audit event (hash chain and insert), the acknowledgement (rendered in the
requester's language and queued in the outbox) and the commit. Prints p50 and mean per part and
the share of the whole, then what the request adds around the action: building the API's
ticket serializer (its fields, narrowed to the agent) and the agent's form with its validation.
Run by hand; it adds `--count` tickets to the database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("--database-url names the benchmark's PostgreSQL database")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    os.environ["SAMDRIFT_DEBUG"] = "0"
    import django

    django.setup()
    from django.db import transaction

    from bench.servicedesk_data import text
    from samdrift.servicedesk import actions, models, notify, sla
    from samdrift.servicedesk.actions import tickets as creation
    from samdrift.tenancy.models import Person, User

    spent: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*a, **kw)
            finally:
                spent[name].append((time.perf_counter() - started) * 1000)

        return wrapper

    sla.priority_policy_and = timed("priority matrix + SLA policy + sender (one query)", sla.priority_policy_and)
    sla.recompute = timed("SLA due dates", sla.recompute)
    creation._clean_new_ticket = timed("validation", creation._clean_new_ticket)
    creation.next_ticket_number = timed("numbering (counter row lock)", creation.next_ticket_number)
    models.Ticket.save = timed("insert + index upkeep", models.Ticket.save)
    creation.record_event = timed("audit event (hash chain)", creation.record_event)
    notify.notify_ticket_created = timed("acknowledgement (render + outbox)", notify.notify_ticket_created)

    agent = User.objects.get(username="agent")
    people = list(Person.objects.filter(kind="employee")[:500])
    rnd = random.Random(7)
    totals: list[float] = []
    commits: list[float] = []
    for _ in range(args.count):
        subject, description = text(rnd)
        started = time.perf_counter()
        with transaction.atomic():
            actions.do_create_ticket(
                {"requester": rnd.choice(people), "subject": subject, "description": description}, actor=agent
            )
            before_commit = time.perf_counter()
        done = time.perf_counter()
        commits.append((done - before_commit) * 1000)  # the commit and the on-commit hooks (outbox kick)
        totals.append((done - started) * 1000)
    spent["commit + on-commit (outbox kick)"] = commits
    whole = statistics.mean(totals)
    print(f"{args.count} tickets created; per ticket: p50 {statistics.median(totals):.1f} ms, mean {whole:.1f} ms")
    print(f"{'part':40} {'p50 ms':>8} {'mean ms':>8} {'share':>6}")
    accounted = 0.0
    for name, values in spent.items():
        mean = statistics.mean(values)
        accounted += mean
        print(f"{name:40} {statistics.median(values):8.2f} {mean:8.2f} {mean / whole:6.0%}")
    print(
        f"{'the rest (permission, scope, checks)':40} {'':8} {whole - accounted:8.2f} {(whole - accounted) / whole:6.0%}"
    )
    request_layer(agent, people, args.count)


def request_layer(agent: Any, people: list[Any], count: int) -> None:
    """The request's own work around the action: the serializer's fields and the form's validation."""
    from django.test import RequestFactory

    from samdrift.servicedesk.forms import TicketForm
    from samdrift.servicedesk.serializers import TicketSerializer

    request = RequestFactory().post("/api/v1/tickets/")
    request.user = agent
    data = {"requester": people[0].pk, "subject": "Skrivaren", "description": "x", "channel": "phone"}
    data |= {"type": "incident", "impact": 3, "urgency": 3}
    for name, build in (
        ("API: TicketSerializer fields (narrowed)", lambda: TicketSerializer(context={"request": request}).fields),
        ("form: TicketForm built and validated", lambda: TicketForm(data, user=agent).is_valid()),
    ):
        build()
        times = []
        for _ in range(count):
            started = time.perf_counter()
            build()
            times.append((time.perf_counter() - started) * 1000)
        print(f"{name:40} {statistics.median(times):8.2f} {statistics.mean(times):8.2f}")


if __name__ == "__main__":
    main()
