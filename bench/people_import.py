"""Benchmark: the import pipeline (samdrift/core/importing.py) with a 50,000-row people file on PostgreSQL.

    .venv/bin/python bench/people_import.py \\
        --database-url postgres://postgres@127.0.0.1:5432/samdrift_people_bench --rows 50000

1. Creates the database if it is missing and migrates it; creates one owner, an org unit, a cost
   centre and an administrator (through the actions) unless they are there.
2. Writes a CSV of --rows people (owner, identifier, names, e-mail, org unit, cost centre; Swedish
   headers, `;`) with identifiers not yet in the register, and, with --update-share, a share of
   rows that change people the previous run created.
3. Runs the import as a user starts it and the worker runs it: upload (the file is kept), the dry
   run as a job and the all-or-nothing commit as a job (both through `run_import_job`, holding
   the job's lease and writing its progress; the task backend runs them in this process so that
   the figures are the job's own, not the queue's). Times each step, reads the peak memory, prints
   the figures and writes JSON to bench/results/.

Run by hand, never in CI.
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
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--update-share", type=float, default=0.0, help="share of rows changing existing people")
    args = parser.parse_args()
    if args.database_url.startswith("postgres"):
        ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    os.environ.setdefault("SAMDRIFT_DEBUG", "false")  # as in production: no SQL kept per query
    os.environ.setdefault("MEDIA_ROOT", "/tmp/samdrift-bench-media")
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    os.environ["SAMDRIFT_IMPORT_SYNC_ROWS"] = "0"  # every file runs as a job, as a large one does
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from samdrift.core.roles import Role
    from samdrift.tenancy import actions, imports
    from samdrift.tenancy.demo import fictitious_orgnr
    from samdrift.tenancy.models import CostCentre, ImportBatch, OrgUnit, Owner, Person, User

    owner = Owner.objects.filter(municipality_code="9798").first()
    if owner is None:
        owner = actions.do_create_owner(
            {"name": "Personköping", "municipality_code": "9798", "org_number": fictitious_orgnr(9798)}, actor=None
        )
    unit = OrgUnit.objects.filter(owner=owner, code="BENCH").first() or actions.do_create_org_unit(
        {"owner": owner, "code": "BENCH", "name": "Bänkskolan"}, actor=None
    )
    centre = CostCentre.objects.filter(owner=owner, code="BENCH").first() or actions.do_create_cost_centre(
        {"owner": owner, "code": "BENCH", "name": "Bänken", "invoice_reference": "B-1"}, actor=None
    )
    admin = User.objects.filter(username="bench_admin").first()
    if admin is None:
        admin = actions.do_create_user({"username": "bench_admin", "email": "bench@example.org"}, actor=None)
        actions.do_grant_role(admin, Role.ADMIN, None, actor=None)
    admin = User.objects.get(pk=admin.pk)

    run = int(time.time())
    existing = list(
        Person.objects.filter(owner=owner, external_id__startswith="P")
        .order_by("-id")
        .values_list("external_id", flat=True)[: int(args.rows * args.update_share)]
    )
    lines = ["ägare;identitet;förnamn;efternamn;e-post;enhet;kostnadsställe"]
    for i in range(args.rows):
        ident = existing[i] if i < len(existing) else f"P{run}-{i:07d}"
        lines.append(
            f"{owner.municipality_code};{ident};Förnamn{i % 997};Efternamn{run % 1000}-{i};p{run}-{i}@example.org;{unit.code};{centre.code}"
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
    batch = imports.do_upload_import("people", SimpleUploadedFile("bench.csv", data), actor=admin)
    step("upload", t, c)
    t, c = time.monotonic(), cpu()
    imports.start_check(batch, actor=admin)  # queued as a job; the in-process backend runs it at commit
    batch = ImportBatch.objects.get(pk=batch.pk)
    step("dry_run_job", t, c)
    figures["status_after_check"] = batch.status
    figures["new"], figures["changed"], figures["errors"] = batch.create_count, batch.update_count, batch.error_count
    t, c = time.monotonic(), cpu()
    imports.start_commit(batch, actor=admin)
    batch = ImportBatch.objects.get(pk=batch.pk)
    step("commit_job", t, c)
    figures["total_s"] = round(time.monotonic() - started, 2)
    figures["total_cpu_s"] = round(cpu() - started_cpu, 2)
    figures["status"] = batch.status
    figures["people_in_register"] = Person.objects.filter(owner=owner).count()
    figures["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["cpus"] = os.cpu_count() or 0
    figures["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    figures["python"] = platform.python_version()
    print(json.dumps(figures, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"people_import-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
