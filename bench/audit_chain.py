"""Benchmark: the cost of `record_event` with concurrent writers of two owners, on PostgreSQL.

    .venv/bin/python bench/audit_chain.py \\
        --database-url postgres://postgres@127.0.0.1:5432/samdrift_audit_bench --writers 4 --events 200

1. Creates the database if it is missing and migrates it.
2. Runs the same load twice: --writers threads per owner, two owners, each thread writing --events
   events, one transaction per event that records the event and then holds the transaction for
   --hold-ms (the rest of an action's work, during which the chain's lock is held).
   - "one chain": every event in one chain under one lock (the trail before issue 12), emulated by
     mapping every owner to the operator's chain;
   - "per owner": the chains of today, one per owner (and one for the operator).
3. Also times a single writer without contention (the cost of the call itself).
Prints events per second and the latency of record_event (median, 95th percentile), and writes
JSON to bench/results/. Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import ensure_database  # noqa: E402

OWNERS = (9_100_001, 9_100_002)  # owner ids of the bench's events (the column has no constraint)


def _writer(owner_id: int, events: int, hold: float, latencies: list[float], errors: list[str]) -> None:
    from django.db import connection, transaction

    from samdrift.core.audit import record_event
    from samdrift.core.models import AuditEventType

    try:
        for n in range(events):
            with transaction.atomic():
                started = time.perf_counter()
                record_event(
                    None, "system", AuditEventType.UPDATED, owner_id=owner_id,
                    object_type="bench.thing", object_id=str(n), extra={"action": "bench"},
                )  # fmt: skip
                latencies.append(time.perf_counter() - started)
                if hold:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_sleep(%s)", [hold])
    except Exception as exc:  # reported, not hidden
        errors.append(repr(exc))
    finally:
        connection.close()


def run(mode: str, writers: int, events: int, hold_ms: float) -> dict[str, Any]:
    from samdrift.core import audit

    original = audit.chain_of
    if mode == "one chain":
        audit.chain_of = lambda owner_id: audit.OPERATOR_CHAIN  # type: ignore[assignment]
    try:
        latencies: list[float] = []
        errors: list[str] = []
        threads = [
            threading.Thread(target=_writer, args=(owner, events, hold_ms / 1000, latencies, errors))
            for owner in OWNERS
            for _w in range(writers)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        audit.chain_of = original  # type: ignore[assignment]
    latencies.sort()
    total = len(latencies)
    return {
        "mode": mode,
        "writers": writers * len(OWNERS),
        "events": total,
        "errors": errors[:5],
        "seconds": round(elapsed, 2),
        "events_per_second": round(total / elapsed, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(total * 0.95) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--writers", type=int, default=4, help="threads per owner")
    parser.add_argument("--events", type=int, default=200, help="events per thread")
    parser.add_argument("--hold-ms", type=float, default=5.0, help="the rest of the action, lock held")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("the chain lock is PostgreSQL's (SQLite serialises every writer)")
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    os.environ.setdefault("SAMDRIFT_DEBUG", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from samdrift.core.audit import verify_chain
    from samdrift.core.models import AuditEvent

    single = run("per owner", 1, args.events, 0)
    single["mode"] = "1 writer per owner, no hold"
    results = [single]
    for mode in ("one chain", "per owner"):
        results.append(run(mode, args.writers, args.events, args.hold_ms))
    report = verify_chain()
    print(f"{'mode':<28}{'writers':>8}{'events':>8}{'s':>8}{'events/s':>10}{'median ms':>11}{'p95 ms':>9}")
    for r in results:
        print(
            f"{r['mode']:<28}{r['writers']:>8}{r['events']:>8}{r['seconds']:>8}{r['events_per_second']:>10}"
            f"{r['median_ms']:>11}{r['p95_ms']:>9}" + (f"  ERRORS {r['errors']}" if r["errors"] else "")
        )
    print(f"chains verify: {report.ok} ({report.checked} events in {report.chains} chains)")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"audit_chain-{stamp}.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "results": results,
                "events_in_trail": AuditEvent.objects.count(),
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
