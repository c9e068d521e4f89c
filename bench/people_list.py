"""Benchmark: the list of people, API and UI, at a million people on PostgreSQL.

    .venv/bin/python bench/people_list.py \\
        --database-url postgres://postgres@127.0.0.1:5432/samdrift_bench --people 1000000 --owners 290

1. Creates the database if it is missing, migrates it and loads `samdrift demo --owners N --people
   M` unless that data is already there (a database with other data is refused; --reset starts
   over), then runs VACUUM ANALYZE.
2. Starts gunicorn on a free loopback port with `bench.querycount:application` (Samdrift plus an
   `X-Bench-Queries` header with the number of SQL queries of each request) and DEBUG off.
3. Logs in through the login form as an operator administrator and as an owner user (sessions;
   the API accepts the same session for GET).
4. For each user, surface (API, UI) and case (first page, a page ~200 pages deep reached by
   following the "next" links, owner + kind filter, a common and a rare search), runs --threads
   client threads for --seconds each and reports requests per second, p50 and p95 latency and the
   queries per request. Prints a table and writes JSON to bench/results/.

Only the standard library and psycopg (already a dependency) are used. Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import ensure_database  # noqa: E402

APP = ROOT  # the checkout that is served and migrated (--app-dir, for before/after comparisons)
PYTHON = sys.executable
DEMO_PEOPLE_EXTRA = 12  # `samdrift demo` adds one person per demo login
QUERY_HEADER = "X-Bench-Queries"
TIME_HEADER = "X-Bench-Time"


# --- the database ----------------------------------------------------------------------------
def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=APP, env=env, check=True)


def ensure_data(url: str, env: dict[str, str], owners: int, people: int) -> dict[str, Any]:
    manage(env, "migrate", "--noinput", "-v", "0")
    with psycopg.connect(url, autocommit=True) as conn:
        have_owners = conn.execute("SELECT count(*) FROM tenancy_owner").fetchone()[0]  # type: ignore[index]
    if have_owners == 0:
        print(f"Loading {owners} owners and {people:,} people (samdrift demo) ...", flush=True)
        started = time.monotonic()
        manage(env, "demo", "--owners", str(owners), "--people", str(people))
        load = {"seconds": round(time.monotonic() - started, 1)}
        with psycopg.connect(url, autocommit=True) as conn:
            print("VACUUM ANALYZE ...", flush=True)
            conn.execute("VACUUM ANALYZE")
    else:
        load = {"seconds": None, "reused": True}
    with psycopg.connect(url, autocommit=True) as conn:
        have_owners = conn.execute("SELECT count(*) FROM tenancy_owner").fetchone()[0]  # type: ignore[index]
        have_people = conn.execute("SELECT count(*) FROM tenancy_person").fetchone()[0]  # type: ignore[index]
        audit = conn.execute("SELECT count(*) FROM core_auditevent").fetchone()[0]  # type: ignore[index]
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit")
        }
    if have_owners != owners or have_people != people + DEMO_PEOPLE_EXTRA:
        raise SystemExit(
            f"The database holds {have_owners} owners and {have_people:,} people, not {owners} and "
            f"{people + DEMO_PEOPLE_EXTRA:,}. Use another --database-url or --reset."
        )
    print(f"Data: {have_owners} owners, {have_people:,} people, {audit:,} audit events (PostgreSQL {version})")
    return {"owners": have_owners, "people": have_people, "audit_events": audit, "postgresql": version,
            "postgresql_settings": settings, "load": load}  # fmt: skip


def owner_of(url: str, username: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT m.owner_id FROM tenancy_membership m JOIN tenancy_user u ON u.id = m.user_id "
            "WHERE u.username = %s AND m.owner_id IS NOT NULL ORDER BY m.id LIMIT 1",
            [username],
        ).fetchone()
    if row is None:
        raise SystemExit(f"{username} holds no owner role")
    return int(row[0])


# --- the server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        cmd = [gunicorn, "bench.querycount:application", "--workers", str(workers),
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=APP, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = request(self.port, "/health/", {})
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit("gunicorn stopped while starting")
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer /health/ within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- HTTP ------------------------------------------------------------------------------------
def request(
    port: int,
    path: str,
    headers: dict[str, str],
    *,
    method: str = "GET",
    body: str | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        if own:
            conn.close()


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    jar = {}
    for raw in headers.get_all("Set-Cookie") or []:
        name, _, rest = raw.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login(port: int, username: str, password: str) -> dict[str, str]:
    """Log in through the login form; returns the headers of an authenticated browser."""
    status, headers, body = request(port, "/accounts/login/", {})
    jar = _cookies(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not match or "csrftoken" not in jar:
        raise SystemExit(f"login page: unexpected answer {status}")
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()})
    status, headers, _ = request(
        port,
        "/accounts/login/",
        {
            "Cookie": f"csrftoken={jar['csrftoken']}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
        method="POST",
        body=form,
    )
    jar.update(_cookies(headers))
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"login as {username} failed ({status})")
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Accept-Language": "sv"}


def _local(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def next_of(port: int, path: str, headers: dict[str, str], api: bool) -> str | None:
    status, _, body = request(port, path, headers)
    if status != 200:
        raise SystemExit(f"{path}: {status}")
    if api:
        nxt = json.loads(body).get("next")
        return _local(nxt) if nxt else None
    match = re.search(rb'<li class="next[^"]*">\s*<a [^>]*?href="([^"]+)"', body)
    if not match:
        return None
    href = unescape(match.group(1).decode())
    return href if href.startswith("/") else path.split("?", 1)[0] + href


def deep_path(port: int, path: str, headers: dict[str, str], api: bool, pages: int) -> tuple[str, int]:
    """Follow "next" `pages` times (or until the last page); returns the path and its depth."""
    depth = 1
    for _ in range(pages - 1):
        nxt = next_of(port, path, headers, api)
        if nxt is None:
            break
        path, depth = nxt, depth + 1
    return path, depth


# --- measuring -------------------------------------------------------------------------------
@dataclass
class Result:
    user: str
    surface: str
    case: str
    path: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    server_p50_ms: float = 0.0
    queries: list[int] = field(default_factory=list)
    note: str = ""


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def measure(port: int, result: Result, headers: dict[str, str], threads: int, seconds: float) -> Result:
    for _ in range(3):  # warm up: plans, caches, the workers' first connection
        status, _, _ = request(port, result.path, headers)
        if status != 200:
            raise SystemExit(f"{result.path}: {status}")
    latencies: list[float] = []
    server: list[float] = []
    queries: set[int] = set()
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    max_requests = 100_000  # a bound, whatever happens

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        mine_server: list[float] = []
        seen: set[int] = set()
        bad = 0
        while time.monotonic() < deadline and len(mine) < max_requests:
            started = time.perf_counter()
            try:
                status, response_headers, _ = request(port, result.path, headers, conn=conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                bad += 1
                continue
            mine.append(time.perf_counter() - started)
            if status != 200:
                bad += 1
            if response_headers.get(QUERY_HEADER):
                seen.add(int(response_headers[QUERY_HEADER]))
            if response_headers.get(TIME_HEADER):
                mine_server.append(float(response_headers[TIME_HEADER]))
        conn.close()
        with lock:
            latencies.extend(mine)
            server.extend(mine_server)
            queries.update(seen)
            errors += bad

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    result.requests = len(latencies)
    result.errors = errors
    result.seconds = round(elapsed, 2)
    result.rps = round(len(latencies) / elapsed, 1)
    result.p50_ms = round(percentile(latencies, 0.50) * 1000, 1)
    result.p95_ms = round(percentile(latencies, 0.95) * 1000, 1)
    result.max_ms = round((latencies[-1] if latencies else 0) * 1000, 1)
    result.server_p50_ms = round(percentile(sorted(server), 0.50), 1)
    result.queries = sorted(queries)
    return result


def cases(owner_id: int, common: str, rare: str) -> list[tuple[str, dict[str, str]]]:
    return [
        ("first page", {}),
        ("deep page", {}),
        ("owner + kind", {"owner": str(owner_id), "kind": "employee"}),
        (f"search {common}", {"q": common}),
        (f"search {rare}", {"q": rare}),
    ]


def print_table(results: list[Result]) -> None:
    head = (
        f"{'user':<10} {'list':<4} {'case':<22} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'server':>8} "
        f"{'queries':>8} {'n':>6} {'err':>4}"
    )
    print()
    print("p50/p95: latency seen by the client; server: p50 of the time the server worked on a request")
    print(head)
    print("-" * len(head))
    for r in results:
        queries = "/".join(str(q) for q in r.queries) or "?"
        case = r.case + (f" ({r.note})" if r.note else "")
        print(
            f"{r.user:<10} {r.surface:<4} {case:<22} {r.rps:>7.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} "
            f"{r.server_p50_ms:>8.1f} {queries:>8} {r.requests:>6} {r.errors:>4}"
        )
    print()


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=APP, capture_output=True, text=True, check=False
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=APP, capture_output=True, text=True, check=False)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/samdrift_bench")
    parser.add_argument("--owners", type=int, default=290)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--reset", action="store_true", help="drop and reload the bench database")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=10, help="measuring time per case")
    parser.add_argument("--deep", type=int, default=200, help="how many pages deep the deep page is")
    parser.add_argument("--operator-user", default="admin")
    parser.add_argument("--owner-user", default="horby.insyn", help="an owner viewer: sees no pupils")
    parser.add_argument("--password", default="samdrift-demo")
    parser.add_argument("--search-common", default="lind", help="a prefix that matches many people")
    parser.add_argument("--search-rare", default="E000123", help="a prefix that matches a few")
    parser.add_argument("--only", default="", help="comma-separated filter: api, ui, operator, owner")
    parser.add_argument("--app-dir", default=str(ROOT), help="serve another checkout (with bench/ in it)")
    parser.add_argument("--output", default="", help="JSON file (default bench/results/people_list-<time>.json)")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("this benchmark runs on PostgreSQL")
    global APP
    APP = Path(args.app_dir).resolve()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "samdrift.settings",
        "SAMDRIFT_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",  # whitenoise, before collectstatic
    }
    ensure_database(args.database_url, reset=args.reset)
    data = ensure_data(args.database_url, env, args.owners, args.people)
    owner_id = owner_of(args.database_url, args.owner_user)
    only = {w.strip() for w in args.only.split(",") if w.strip()}

    load_before = os.getloadavg()
    server = Server(env, args.workers)
    results: list[Result] = []
    try:
        users = [("operator", args.operator_user), ("owner", args.owner_user)]
        for label, username in users:
            if only & {"operator", "owner"} and label not in only:
                continue
            headers = login(server.port, username, args.password)
            for surface, base in (("api", "/api/v1/people/"), ("ui", "/people/")):
                if only & {"api", "ui"} and surface not in only:
                    continue
                for case, params in cases(owner_id, args.search_common, args.search_rare):
                    path = base + (f"?{urlencode(params)}" if params else "")
                    result = Result(user=label, surface=surface, case=case, path=path)
                    if case == "deep page":
                        result.path, depth = deep_path(server.port, path, headers, surface == "api", args.deep)
                        result.note = f"page {depth}"
                    print(f"  {label} {surface} {result.case}: {result.path[:90]}", flush=True)
                    results.append(measure(server.port, result, headers, args.threads, args.seconds))
    finally:
        server.stop()

    print_table(results)
    print(f"Load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    report = {
        "benchmark": "people_list",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            # other work on the machine skews every figure: compare runs with similar load
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "args": {k: v for k, v in vars(args).items() if k != "password"},
        "data": data,
        "results": [asdict(r) for r in results],
    }
    out = (
        Path(args.output)
        if args.output
        else ROOT / "bench" / "results" / f"people_list-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Written {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
