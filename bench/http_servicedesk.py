"""Benchmark: the agent's day over HTTP on realistic tickets (issue 19).

    .venv/bin/python bench/http_servicedesk.py \\
        --database-url postgres://postgres@127.0.0.1:5432/speed_sd1m --tickets 1000000

1. Creates the database if needed, migrates it, loads `samdrift demo` (three owners) and then
   `--tickets` realistic tickets with 2-3 comments each (`bench/servicedesk_data.py`, COPY). A
   database that already holds tickets is reused as it is.
2. Starts gunicorn (`--workers 2` sync workers) on a loopback port serving
   `bench.http_querycount:application` (Samdrift unchanged plus `X-Bench-Queries`,
   `X-Bench-Time` and `X-Bench-CPU`: the queries, the server's own time and the worker's CPU
   time of each request), DEBUG off.
3. Logs in through the login form as the demo agent (`agent`), then runs each scenario with
   `--clients 4` concurrent client threads for `--seconds` after three warm-up requests:

   | scenario | request |
   |---|---|
   | queue | one owner's open tickets by priority, as the HTMX table (`HX-Request`) |
   | queue API | the same list through `/api/v1/tickets/` |
   | list page | the whole ticket-list page as the agent opens it |
   | ticket page | a ticket with its comments and events (200 different open tickets) |
   | search UI | one common word over all tickets, newest first (`skrivare`, `lösenord`, `outlook`, `fungerar`: 5-15 % of the tickets each) |
   | search API | the same words through the API |
   | create API | `POST /api/v1/tickets/` |
   | create form | the agent's new-ticket form (`POST /servicedesk/tickets/new/`) |
   | agent session | a mix: queue 30 %, ticket page 35 %, search 15 %, reply through the compose area 10 %, new ticket 10 % |

   and prints requests per second and p50/p95 latency as the client saw it, beside the server's
   own p50/p95 time (the in-process view, without waiting for a free worker), the worker's CPU
   time per request (which a busy machine does not inflate; `bench/http_querycount.py`) and the
   queries per request. JSON goes to bench/results/.

Options: `--only queue,search-ui,...`, `--seconds`, `--clients`, `--workers`, `--app-dir` (serve
another checkout, for before/after comparisons; copy bench/ into it).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import people_list  # noqa: E402
from bench.benchdb import ensure_database  # noqa: E402
from bench.servicedesk_data import DEMO_TICKETS, load  # noqa: E402

WORDS = ["skrivare", "lösenord", "outlook", "fungerar"]
GOALS = {  # issue 19: p95 in ms, or req/s
    "queue": "p95 < 100 ms",
    "list page": "p95 < 150 ms",
    "ticket page": "p95 < 100 ms",
    "search UI": "p95 < 150 ms",
    "create API": ">= 140 req/s",
    "create form": ">= 180 req/s",
}


@dataclass
class Request:
    method: str
    path: str
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)


@dataclass
class Result:
    scenario: str
    example: str
    requests: int = 0
    errors: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    server_p50_ms: float = 0.0
    server_p95_ms: float = 0.0
    cpu_p50_ms: float = 0.0
    queries: list[int] = field(default_factory=list)
    first_error: str = ""


def pct(values: list[float], q: float) -> float:
    return round(people_list.percentile(sorted(values), q), 1)


def run(port: int, name: str, make: Callable[[random.Random], Request], base: dict[str, str], clients: int,
        seconds: float) -> Result:  # fmt: skip
    warm = random.Random(0)
    for _ in range(3):
        req = make(warm)
        status, _, body = people_list.request(port, req.path, {**base, **req.headers}, method=req.method, body=req.body)
        if status not in req.ok:
            raise SystemExit(f"{name}: {req.method} {req.path} answered {status}: {body[:300]!r}")
    latencies: list[float] = []
    server: list[float] = []
    cpu: list[float] = []
    queries: set[int] = set()
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rnd = random.Random(n + 1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        mine_server: list[float] = []
        mine_cpu: list[float] = []
        seen: set[int] = set()
        bad: list[str] = []
        while time.monotonic() < deadline:
            req = make(rnd)
            started = time.perf_counter()
            try:
                status, headers, body = people_list.request(
                    port, req.path, {**base, **req.headers}, method=req.method, body=req.body, conn=conn
                )
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                bad.append(f"{req.path}: {exc}")
                continue
            mine.append((time.perf_counter() - started) * 1000)
            if status not in req.ok:
                bad.append(f"{req.method} {req.path}: {status} {body[:200]!r}")
            if headers.get(people_list.QUERY_HEADER):
                seen.add(int(headers[people_list.QUERY_HEADER]))
            if headers.get(people_list.TIME_HEADER):
                mine_server.append(float(headers[people_list.TIME_HEADER]))
            if headers.get("X-Bench-CPU"):
                mine_cpu.append(float(headers["X-Bench-CPU"]))
        conn.close()
        with lock:
            latencies.extend(mine)
            server.extend(mine_server)
            cpu.extend(mine_cpu)
            queries.update(seen)
            errors.extend(bad)

    started = time.monotonic()
    pool = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    example = make(random.Random(0))
    return Result(
        scenario=name,
        example=f"{example.method} {example.path}"[:90],
        requests=len(latencies),
        errors=len(errors),
        rps=round(len(latencies) / elapsed, 1),
        p50_ms=pct(latencies, 0.5),
        p95_ms=pct(latencies, 0.95),
        server_p50_ms=pct(server, 0.5),
        server_p95_ms=pct(server, 0.95),
        cpu_p50_ms=pct(cpu, 0.5),
        queries=sorted(queries),
        first_error=errors[0] if errors else "",
    )


class Server(people_list.Server):
    """gunicorn as in bench/people_list.py, ready when the login page answers (/health/ also
    wants a task worker and the scheduler, which a benchmark does not run)."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        port: int,
        *,
        app: str = "bench.http_querycount:application",
        gunicorn: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        """`app`, `gunicorn` and `cwd` serve another WSGI application (the peer, bench/peer_helpdesk.py)."""
        self.port = port or people_list.free_port()
        gunicorn = gunicorn or Path(sys.executable).parent / "gunicorn"
        cmd = [str(gunicorn), app, "--workers", str(workers),
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=cwd or people_list.APP, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if people_list.request(self.port, "/accounts/login/", {})[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit("gunicorn stopped while starting")
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer within 60 s")


def facts(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # type: ignore[index]  # noqa: E731
        owner = one("SELECT id FROM tenancy_owner ORDER BY id LIMIT 1")
        open_ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM servicedesk_ticket WHERE status IN ('new','assigned','in_progress',"
                "'waiting_requester','waiting_supplier') ORDER BY id DESC LIMIT 200"
            )
        ]
        people = [r[0] for r in conn.execute("SELECT id FROM tenancy_person WHERE kind = 'employee' LIMIT 500")]
        words = {w: one("SELECT count(*) FROM servicedesk_ticket WHERE subject ILIKE %s", f"%{w}%") for w in WORDS}
        return {
            "owner": owner,
            "open_ids": open_ids,
            "people": people,
            "tickets": one("SELECT count(*) FROM servicedesk_ticket"),
            "comments": one("SELECT count(*) FROM servicedesk_comment"),
            "word_matches": words,
            "postgresql": one("SHOW server_version"),
        }


def scenarios(f: dict[str, Any], csrf: str) -> dict[str, Callable[[random.Random], Request]]:
    htmx = {"HX-Request": "true", "HX-Target": "table-container"}
    post_form = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrf}
    post_json = {"Content-Type": "application/json", "X-CSRFToken": csrf}
    counter = itertools.count()

    def queue(_: random.Random) -> Request:
        return Request("GET", f"/servicedesk/tickets/?queue=open&owner={f['owner']}&sort=priority", headers=htmx)

    def queue_api(_: random.Random) -> Request:
        return Request("GET", f"/api/v1/tickets/?queue=open&owner={f['owner']}&ordering=priority")

    def list_page(_: random.Random) -> Request:
        return Request("GET", "/servicedesk/tickets/")

    def ticket(rnd: random.Random) -> Request:
        return Request("GET", f"/servicedesk/tickets/{rnd.choice(f['open_ids'])}/")

    def search_ui(rnd: random.Random) -> Request:
        return Request("GET", f"/servicedesk/tickets/?queue=&q={quote(rnd.choice(WORDS))}")

    def search_api(rnd: random.Random) -> Request:
        return Request("GET", f"/api/v1/tickets/?q={quote(rnd.choice(WORDS))}")

    def text(rnd: random.Random) -> tuple[str, str]:
        from bench.servicedesk_data import text as realistic

        return realistic(rnd)

    def create_api(rnd: random.Random) -> Request:
        subject, description = text(rnd)
        body = {"requester": rnd.choice(f["people"]), "subject": subject, "description": description}
        return Request("POST", "/api/v1/tickets/", json.dumps(body), post_json, ok=(201,))

    def create_form(rnd: random.Random) -> Request:
        subject, description = text(rnd)
        body = urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "requester": rnd.choice(f["people"]),
                "subject": subject,
                "description": description,
                "channel": "phone",
                "type": "incident",
                "impact": 3,
                "urgency": 3,
            }
        )
        return Request("POST", "/servicedesk/tickets/new/", body, post_form, ok=(302,))

    def reply(rnd: random.Random) -> Request:
        pk = rnd.choice(f["open_ids"])
        body = urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "body": f"Vi tittar på det ({next(counter)}).",
                "kind": "reply",
                "work_type": "support",
            }
        )
        return Request("POST", f"/servicedesk/tickets/{pk}/compose/", body, {**post_form, "HX-Request": "true"})

    def session(rnd: random.Random) -> Request:
        roll = rnd.random()
        if roll < 0.30:
            return queue(rnd)
        if roll < 0.65:
            return ticket(rnd)
        if roll < 0.80:
            return search_ui(rnd)
        if roll < 0.90:
            return reply(rnd)
        return create_form(rnd)

    return {
        "queue": queue,
        "queue API": queue_api,
        "list page": list_page,
        "ticket page": ticket,
        "search UI": search_ui,
        "search API": search_api,
        "create API": create_api,
        "create form": create_form,
        "agent session": session,
    }


def print_table(results: list[Result]) -> None:
    print("\n| scenario | req/s | p50 ms | p95 ms | server p50 / p95 ms | CPU ms | queries | errors | goal |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        q = "/".join(str(n) for n in r.queries) or "-"
        print(
            f"| {r.scenario} | {r.rps} | {r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.server_p50_ms:.0f} / "
            f"{r.server_p95_ms:.0f} | {r.cpu_p50_ms:.0f} | {q} | {r.errors} | {GOALS.get(r.scenario, '')} |"
        )
    for r in results:
        if r.first_error:
            print(f"{r.scenario}: first error: {r.first_error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--app-dir", default=str(ROOT))
    parser.add_argument("--port", type=int, default=0, help="serve on this port (default: a free one)")
    parser.add_argument("--user", default="agent")
    parser.add_argument("--password", default="samdrift-demo")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("--database-url (or DATABASE_URL) names the benchmark's PostgreSQL database")
    people_list.APP = Path(args.app_dir).resolve()
    ensure_database(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "samdrift.settings",
        "SAMDRIFT_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # One demo agent drives every request: the per-user API rate (20 a second, meant for a
        # person or a script) would turn the creation run into 429s. The benchmark measures the
        # server, not the throttle.
        "SAMDRIFT_API_RATE_USER": "1000000/min",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",
    }
    people_list.manage(env, "migrate", "--noinput", "-v", "0")
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        owners = conn.execute("SELECT count(*) FROM tenancy_owner").fetchone()[0]  # type: ignore[index]
        tickets = conn.execute("SELECT count(*) FROM servicedesk_ticket").fetchone()[0]  # type: ignore[index]
    if owners == 0:
        people_list.manage(env, "demo")
    if tickets <= DEMO_TICKETS:
        print(f"Loading {args.tickets:,} tickets ...", flush=True)
        print(load(args.database_url, args.tickets))
    f = facts(args.database_url)
    print(f"Data: {f['tickets']:,} tickets, {f['comments']:,} comments; word matches {f['word_matches']}")
    server = Server(env, args.workers, args.port)
    try:
        headers = people_list.login(server.port, args.user, args.password)
        csrf = re.search(r"csrftoken=([^;]+)", headers["Cookie"]).group(1)  # type: ignore[union-attr]
        chosen = [s.strip() for s in args.only.split(",") if s.strip()]
        results = []
        for name, make in scenarios(f, csrf).items():
            if chosen and name not in chosen:
                continue
            load_before = os.getloadavg()[0]
            result = run(server.port, name, make, headers, args.clients, args.seconds)
            print(
                f"{name:14} {result.rps:7.1f} req/s  p50 {result.p50_ms:6.0f}  p95 {result.p95_ms:6.0f} ms  "
                f"server {result.server_p50_ms:.0f}/{result.server_p95_ms:.0f} ms  CPU {result.cpu_p50_ms:.0f} ms  "
                f"queries {result.queries}  "
                f"errors {result.errors}  (load {load_before:.1f})",
                flush=True,
            )
            results.append(result)
    finally:
        server.stop()
    print_table(results)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    f.pop("open_ids")
    f.pop("people")
    (out / f"http_servicedesk-{stamp}.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "data": f,
                "cpus": os.cpu_count(),
                "machine": platform.platform(),
                "load": os.getloadavg(),
                "commit": people_list.git_commit(),
                "results": [asdict(r) for r in results],
            },
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
