"""Benchmark: the asset list, UI and API, at 2,500,000 assets over 290 owners on PostgreSQL.

    .venv/bin/python bench/assets_list.py \\
        --database-url postgres://postgres@127.0.0.1:5432/samdrift_assets_list --assets 2500000 --owners 290

1. Creates the database if it is missing and migrates it. When it holds no owners, loads
   `samdrift demo --owners N --people P` (owners, org units, cost centres, people, the demo logins).
   When it holds fewer assets than --assets, creates the catalogue and sites through the actions and
   the missing assets with one INSERT ... SELECT over generate_series per 250,000 rows (benchmark
   data: spread over the owners, models, statuses, sites, cost centres and six years of purchase
   dates; no audit events, unlike `samdrift demo`), then VACUUM ANALYZE.
2. In process, through Django's test client (the full middleware stack, session login, no HTTP
   server), as the operator administrator (`admin`, sees every owner) and an owner viewer
   (`horby.insyn`, one owner), requests the UI list `/assets/` and the API list `/api/v1/assets/`:
   the first page, a page 100 deep (following "next"), and the filters people use (owner +
   status, category, model, cost centre, site, purchase dates, warranty ending, not seen since,
   supplier prefix, a search by tag or serial). Each case runs --repeat times; prints p50 and p95
   in milliseconds and the queries per request, and writes JSON to bench/results/.

Run by hand, never in CI.
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

from bench.benchdb import ensure_database  # noqa: E402

CHUNK = 250_000


def load(assets: int, owners: int, people: int) -> None:
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection

    from samdrift.assets import actions
    from samdrift.assets.models import Asset, AssetModel, Site
    from samdrift.tenancy.models import Owner

    if not Owner.objects.exists():
        t = time.monotonic()
        call_command("demo", owners=owners, people=people, verbosity=0)
        print(f"demo owners and people: {time.monotonic() - t:.0f} s", flush=True)
    if not AssetModel.objects.exists():
        specs = [
            ("Lenovo", "ThinkPad T14", "laptop"),
            ("Acer", "Chromebook 314", "chromebook"),
            ("HP", "ProDesk 400", "desktop"),
            ("Apple", "iPad", "tablet"),
            ("Apple", "iPhone 15", "phone"),
        ]
        makers: dict[str, Any] = {}
        for maker, name, category in specs:
            if maker not in makers:
                makers[maker] = actions.do_create_manufacturer({"name": maker}, actor=None)
            actions.do_create_asset_model(
                {"manufacturer": makers[maker], "name": name, "category": category, "list_price": Decimal("9000")},
                actor=None,
            )
    if not Site.objects.exists():
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO assets_site (owner_id, name, street, postcode, city, active) "
                "SELECT o.id, s.name, '', '', '', true FROM tenancy_owner o "
                "CROSS JOIN (VALUES ('Kommunhuset'), ('Skolan'), ('Biblioteket')) AS s(name)"
            )
    have = Asset.objects.count()
    if have >= assets:
        return
    t = time.monotonic()
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_owner AS SELECT row_number() OVER (ORDER BY o.id) - 1 AS n, o.id AS owner_id, "
            "(SELECT min(c.id) FROM tenancy_costcentre c WHERE c.owner_id = o.id) AS cc_id, "
            "(SELECT min(u.id) FROM tenancy_orgunit u WHERE u.owner_id = o.id) AS ou_id, "
            "(SELECT min(s.id) FROM assets_site s WHERE s.owner_id = o.id) AS site_id FROM tenancy_owner o"
        )
        cur.execute(
            "CREATE TEMP TABLE bench_model AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, manufacturer_id FROM assets_assetmodel"
        )
        cur.execute("SELECT count(*) FROM bench_owner")
        n_owners = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM bench_model")
        n_models = cur.fetchone()[0]
        statuses = (
            "ARRAY['deployed','deployed','deployed','in_stock','in_repair','returned','awaiting_erasure','ordered']"
        )
        for start in range(have, assets, CHUNK):
            stop = min(start + CHUNK, assets)
            cur.execute(
                f"""
                INSERT INTO assets_asset (owner_id, asset_tag, manufacturer_id, model_id, serial_number, status,
                    org_unit_id, cost_centre_id, site_id, purchase_date, price, supplier, order_reference,
                    warranty_end, lease_end, notes, hostname, hardware_uuid, os_name, os_version, cpu, memory_mb,
                    last_user, last_seen, hardware, agent_device_id, created)
                SELECT o.owner_id, 'B' || g, m.manufacturer_id, m.id, 'SN' || lpad(g::text, 9, '0'),
                    ({statuses})[1 + g %% 8], o.ou_id, o.cc_id, o.site_id + 0,
                    DATE '2020-01-01' + (g %% 2190), 9000 + g %% 5000,
                    CASE WHEN g %% 3 = 0 THEN 'Dustin Sverige AB' ELSE 'Atea Sverige AB' END, 'PO-' || (g / 100),
                    DATE '2023-01-01' + (g %% 2190), NULL, '', CASE WHEN g %% 2 = 0 THEN 'K' || g ELSE '' END, '', '', '', '', NULL,
                    '', CASE WHEN g %% 2 = 0 THEN now() - ((g %% 200) || ' days')::interval END, '{{}}'::jsonb, '', now()
                FROM generate_series(%s, %s) AS g
                JOIN bench_owner o ON o.n = g %% %s
                JOIN bench_model m ON m.n = (g / 7) %% %s
                """,
                [start + 1, stop, n_owners, n_models],
            )
            print(f"assets: {stop:,}", flush=True)
        cur.execute("DROP TABLE bench_owner")
        cur.execute("DROP TABLE bench_model")
    print(f"assets loaded: {time.monotonic() - t:.0f} s", flush=True)
    old = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    connection.set_autocommit(old)


def measure(client: Any, url: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    status = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url, HTTP_ACCEPT="application/json" if "/api/" in url else "text/html")
            times.append((time.perf_counter() - t) * 1000)
        status = response.status_code
        queries = len(ctx.captured_queries)
    times.sort()
    return {
        "url": url,
        "status": status,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
        "queries": queries,
    }


def deep_url(client: Any, url: str, pages: int) -> str:
    import re
    from html import unescape

    for _ in range(pages):
        response = client.get(url)
        if "/api/" in url:
            nxt = response.json().get("next")
            if not nxt:
                break
            url = nxt.replace("http://testserver", "")
        else:
            found = re.search(
                r'href="([^"]*cursor=[^"]*)"[^>]*rel="next"|rel="next"[^>]*href="([^"]*)"', response.content.decode()
            )
            if not found:
                break
            href = unescape(found.group(1) or found.group(2))
            url = href if href.startswith("/") else url.split("?")[0] + href
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--assets", type=int, default=2_500_000)
    parser.add_argument("--owners", type=int, default=290)
    parser.add_argument("--people", type=int, default=29_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deep", type=int, default=100, help="pages to follow for the deep-page case")
    args = parser.parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    os.environ.setdefault("SAMDRIFT_DEBUG", "false")  # as in production: no SQL kept per query
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    load(args.assets, args.owners, args.people)

    from django.test import Client

    from samdrift.assets.models import Asset, AssetModel, Site
    from samdrift.tenancy.models import CostCentre, User

    results = []
    for username in ("admin", "horby.insyn"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        sample = (
            Asset.objects.for_user(user)
            .order_by("-id")
            .only("owner_id", "model_id", "cost_centre_id", "site_id")
            .first()
        )  # type: ignore[attr-defined]
        assert sample is not None
        model = AssetModel.objects.get(pk=sample.model_id)
        cases = {
            "first page": "",
            "owner + status": f"?owner={sample.owner_id}&status=deployed",
            "category": "?category=chromebook",
            "model": f"?model={model.pk}",
            "cost centre": f"?cost_centre={sample.cost_centre_id}",
            "site": f"?site={sample.site_id}",
            "purchased in March 2024": "?purchased_from=2024-03-01&purchased_to=2024-03-31",
            "warranty ends by 2026-12-31": "?warranty_before=2026-12-31",
            "not seen since 2026-09-01": "?seen_before=2026-09-01",
            "supplier prefix": "?supplier=Dust",
            "search tag": "?q=B1234",
            "search serial": "?q=SN000123456",
        }
        for surface, base in (("UI", "/assets/"), ("API", "/api/v1/assets/")):
            for case, query in cases.items():
                row = measure(client, base + query, args.repeat)
                results.append({"user": username, "surface": surface, "case": case, **row})
                print(
                    f"{username:12} {surface:3} {case:30} p50 {row['p50_ms']:8.1f} ms  p95 {row['p95_ms']:8.1f} ms  {row['queries']:3} queries  {row['status']}",
                    flush=True,
                )
            deep = deep_url(client, base, args.deep)
            row = measure(client, deep, args.repeat)
            results.append({"user": username, "surface": surface, "case": f"page {args.deep}", **row})
            print(
                f"{username:12} {surface:3} {'page ' + str(args.deep):30} p50 {row['p50_ms']:8.1f} ms  p95 {row['p95_ms']:8.1f} ms  {row['queries']:3} queries  {row['status']}",
                flush=True,
            )
    summary = {
        "assets": Asset.objects.count(),
        "owners": args.owners,
        "sites": Site.objects.count(),
        "cost_centres": CostCentre.objects.count(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "results": results,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"assets_list-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
