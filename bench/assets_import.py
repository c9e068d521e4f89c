"""Benchmark: importing a 100,000-row asset CSV (a supplier delivery file) on PostgreSQL.

    .venv/bin/python bench/assets_import.py \\
        --database-url postgres://postgres@127.0.0.1:5432/samdrift_assets_bench --rows 100000

1. Creates the database if it is missing and migrates it; creates one owner, a cost centre, a site
   and a small catalogue (through the actions) unless they are there.
2. Writes a CSV of --rows rows (serial, manufacturer, model, purchase date, price, order, cost
   centre, site; Swedish headers, `;`), with serials not yet in the register, and, with
   --update-share, a share of rows that update assets the previous run created.
3. Runs the import as the worker would: upload (stores the file), choose the columns, the dry run
   (report rows stored) and the all-or-nothing commit (checks the file again, writes the assets,
   their assignments and one audit event per asset), timing each step and reading the peak memory
   of the process. Prints the figures and writes JSON to bench/results/.

Target (issue 4): the 100,000-row import under 60 s. Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import ensure_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--update-share", type=float, default=0.0, help="share of rows updating existing assets")
    args = parser.parse_args()
    if args.database_url.startswith("postgres"):
        ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    os.environ.setdefault("SAMDRIFT_DEBUG", "false")  # as in production: no SQL kept per query
    os.environ.setdefault("MEDIA_ROOT", "/tmp/samdrift-bench-media")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from samdrift.assets import actions, imports
    from samdrift.assets.models import Asset, AssetModel, Manufacturer, Site
    from samdrift.tenancy import actions as tenancy_actions
    from samdrift.tenancy.demo import fictitious_orgnr
    from samdrift.tenancy.models import CostCentre, Owner

    owner = Owner.objects.filter(municipality_code="9799").first()
    if owner is None:
        owner = tenancy_actions.do_create_owner(
            {
                "name": "Benchköping",
                "municipality_code": "9799",
                "org_number": fictitious_orgnr(9799),
                "population": 15000,
            },
            actor=None,
        )
    centre = CostCentre.objects.filter(owner=owner, code="BENCH").first() or tenancy_actions.do_create_cost_centre(
        {"owner": owner, "code": "BENCH", "name": "Bänken", "invoice_reference": "B-1"}, actor=None
    )
    site = Site.objects.filter(owner=owner, name="Lagret").first() or actions.do_create_site(
        {"owner": owner, "name": "Lagret"}, actor=None
    )
    maker = Manufacturer.objects.filter(name="Benchmaker").first() or actions.do_create_manufacturer(
        {"name": "Benchmaker"}, actor=None
    )
    model = AssetModel.objects.filter(manufacturer=maker, name="Bench 14").first() or actions.do_create_asset_model(
        {"manufacturer": maker, "name": "Bench 14", "category": "laptop", "list_price": Decimal("9000")}, actor=None
    )

    run = int(time.time())
    existing = list(
        Asset.objects.filter(owner=owner)
        .order_by("-id")
        .values_list("serial_number", flat=True)[: int(args.rows * args.update_share)]
    )
    lines = ["Serienummer;Tillverkare;Modell;Inköpsdatum;Pris;Ordernummer;Kostnadsställe;Plats"]
    for i in range(args.rows):
        serial = existing[i] if i < len(existing) else f"B{run}-{i:07d}"
        lines.append(
            f"{serial};{maker.name};{model.name};2026-0{1 + i % 9}-1{i % 9};{9000 + i % 500},50;PO-{run}-{i // 100};{centre.code};{site.name}"
        )
    data = ("\n".join(lines) + "\n").encode()
    figures: dict[str, float | int | str] = {"rows": args.rows, "bytes": len(data), "vendor": connection.vendor}

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def step(name: str, t: float, c: float) -> None:
        # Wall time depends on what else the machine runs; the process's CPU time much less so.
        figures[f"{name}_s"] = round(time.monotonic() - t, 2)
        figures[f"{name}_cpu_s"] = round(cpu() - c, 2)
        print(f"{name}: {figures[f'{name}_s']} s wall, {figures[f'{name}_cpu_s']} s CPU", flush=True)

    started, started_cpu = time.monotonic(), cpu()
    t, c = time.monotonic(), cpu()
    batch = imports.do_upload_asset_import(owner, SimpleUploadedFile("bench.csv", data), actor=None)
    step("upload", t, c)
    batch = imports.do_set_import_columns(batch, batch.columns, {"tag_from_serial": True}, actor=None)
    t, c = time.monotonic(), cpu()
    batch = imports.check_asset_import(batch, actor=None, in_background=True)
    step("dry_run", t, c)
    figures["status_after_check"] = batch.status
    figures["new"], figures["changed"], figures["errors"] = batch.create_count, batch.update_count, batch.error_count
    t, c = time.monotonic(), cpu()
    batch = imports.do_commit_asset_import(batch, actor=None)
    step("commit", t, c)
    figures["total_s"] = round(time.monotonic() - started, 2)
    figures["total_cpu_s"] = round(cpu() - started_cpu, 2)
    figures["status"] = batch.status
    figures["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["cpus"] = os.cpu_count() or 0
    figures["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    figures["python"] = platform.python_version()
    print(json.dumps(figures, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"assets_import-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
