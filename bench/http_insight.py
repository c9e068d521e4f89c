"""Benchmark: the owner insight page and the finance and agent start pages over HTTP at national
scale (issue 17), on the database `bench/insight_pages.py` loaded (run that first).

    .venv/bin/python bench/http_insight.py \\
        --database-url postgres://postgres@127.0.0.1:5432/h_insight_bench --seconds 20

Starts gunicorn (`--workers 2`) serving `bench.http_querycount:application` (server time, CPU
time and queries per request in headers), logs each role in (a session made the way the test
client's force_login makes it) and runs each page with `--clients 4` concurrent clients for
`--seconds`, reusing `bench/http_servicedesk.py`'s driver: requests per second, client p50/p95,
server p50/p95, CPU per request and queries. JSON goes to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import people_list  # noqa: E402
from bench.http_servicedesk import Request, Server, run  # noqa: E402

GOAL = "p95 < 300 ms (server)"


def session_cookie(role: str, owner: bool = False) -> tuple[str, int | None]:
    """A logged-in session of the first active user with `role` (at an owner, or operator-wide),
    stored in the database the server reads; returns the Cookie header and the owner id."""
    from django.conf import settings
    from django.test import Client

    from samdrift.tenancy.models import Membership, User

    m = Membership.objects.filter(role=role, owner__isnull=not owner, active=True).order_by("id").first()
    if m is None:
        raise SystemExit(f"no user with role {role}")
    client = Client()
    client.force_login(User.objects.get(pk=m.user_id))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}", m.owner_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("--database-url (or DATABASE_URL) names the database bench/insight_pages.py loaded")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    os.environ.setdefault("SAMDRIFT_DEBUG", "0")
    import django

    django.setup()
    from samdrift.servicedesk.models import Ticket

    if not Ticket.objects.exists():
        raise SystemExit("no data: run bench/insight_pages.py on this database first")
    viewer, owner_id = session_cookie("owner_viewer", owner=True)
    finance, _ = session_cookie("finance")
    agent, _ = session_cookie("agent")
    pages = [
        ("insight: owner viewer", viewer, f"/insight/{owner_id}/"),
        ("insight: finance", finance, f"/insight/{owner_id}/"),
        ("start: finance", finance, "/"),
        ("start: agent", agent, "/"),
    ]
    env = {
        **os.environ,
        "SAMDRIFT_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",
    }
    server = Server(env, args.workers, 0)
    results = []
    try:
        for name, cookie, path in pages:
            load = os.getloadavg()[0]
            result = run(
                server.port,
                name,
                lambda _rnd, path=path: Request("GET", path),  # type: ignore[misc]
                {"Cookie": cookie},
                args.clients,
                args.seconds,
            )
            results.append((result, load))
            print(
                f"{name:22} {result.rps:6.1f} req/s  client p50 {result.p50_ms:5.0f} p95 {result.p95_ms:5.0f} ms  "
                f"server p50 {result.server_p50_ms:5.0f} p95 {result.server_p95_ms:5.0f} ms  "
                f"CPU {result.cpu_p50_ms:4.0f} ms  queries {result.queries}  errors {result.errors}  (load {load:.1f})",
                flush=True,
            )
    finally:
        server.stop()
    print(f"\n| page | req/s | client p50 / p95 ms | server p50 / p95 ms | CPU ms | queries | load | goal: {GOAL} |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r, load in results:
        ok = "yes" if r.server_p95_ms < 300 else "no"
        print(
            f"| {r.scenario} | {r.rps} | {r.p50_ms:.0f} / {r.p95_ms:.0f} | {r.server_p50_ms:.0f} / "
            f"{r.server_p95_ms:.0f} | {r.cpu_p50_ms:.0f} | {'/'.join(map(str, r.queries))} | {load:.1f} | {ok} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"http_insight-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(
        json.dumps(
            {
                "args": vars(args) | {"database_url": "…"},
                "cpus": os.cpu_count(),
                "machine": platform.platform(),
                "load": os.getloadavg(),
                "commit": people_list.git_commit(),
                "results": [asdict(r) | {"load_before": load} for r, load in results],
            },
            indent=2,
            default=str,
        )
    )
    print(f"written {path}")


if __name__ == "__main__":
    main()
