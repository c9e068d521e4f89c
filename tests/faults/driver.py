"""The fault test's hands inside Samdrift: a process on the test's own PostgreSQL cluster that reads
one JSON command per line and answers one JSON line, calling the same actions the UI calls.

Run as `python -m tests.faults.driver` with DATABASE_URL set and DJANGO_SETTINGS_MODULE
tests.faults.settings (the real settings, but `schema` makes the tables without migrations). A command that meets a lost
database answers {"error": ...} and the next one reconnects.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import date
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import close_old_connections, connections  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from samdrift.assets import actions as asset_actions  # noqa: E402
from samdrift.assets import imports  # noqa: E402
from samdrift.assets.models import Asset, AssetImport  # noqa: E402
from samdrift.billing import actions as billing  # noqa: E402
from samdrift.billing.models import BillingPeriod, BillingRun, Invoice  # noqa: E402
from samdrift.core import operations  # noqa: E402
from samdrift.core.models import PeriodicState, ProcessHeartbeat  # noqa: E402
from samdrift.core.roles import Role  # noqa: E402
from samdrift.core.tasks import verify_audit_chain  # noqa: E402
from samdrift.tenancy import actions as tenancy  # noqa: E402
from samdrift.tenancy.models import User  # noqa: E402

ROWS = 40


def _user(username: str, role: str) -> User:
    user = tenancy.do_create_user({"username": username, "email": f"{username}@example.org"}, actor=None)
    tenancy.do_grant_role(user, role, None, actor=None)
    return User.objects.get(pk=user.pk)


def schema() -> dict[str, Any]:
    """The tables straight from the models (the driver runs with tests.faults.settings)."""
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    return {}


def setup() -> dict[str, Any]:
    admin = _user("admin_fault", Role.ADMIN)
    finance = _user("finance_fault", Role.FINANCE)
    tech = _user("tech_fault", Role.TECHNICIAN)
    tenancy.do_save_operator(
        {
            "name": "Samdrift IT AB",
            "org_number": "5560360793",
            "vat_number": "SE556036079301",
            "bankgiro": "123-4567",
            "street": "Storgatan 1",
            "postcode": "242 30",
            "city": "Hörby",
        },
        actor=admin,
    )
    owners = []
    for n, (code, orgnr) in enumerate([("9901", "9990000011"), ("9902", "9990000029")]):
        owner = tenancy.do_create_owner(
            {"name": f"Kommun {n}", "municipality_code": code, "org_number": orgnr, "population": 15000}, actor=admin
        )
        centre = tenancy.do_create_cost_centre(
            {"owner": owner, "code": f"CC-{n}", "name": f"Kostnadsställe {n}", "invoice_reference": f"REF-{n}"},
            actor=admin,
        )
        owners.append((owner, centre))
    article = billing.do_create_article(
        {"code": "KLIENT", "name": "Klientpaket", "unit_code": "MON", "revenue_account": "3010"}, actor=finance
    )
    for owner, centre in owners:
        billing.do_create_subscription(
            {
                "owner": owner,
                "cost_centre": centre,
                "article": article,
                "description": f"Dator {owner.pk}",
                "monthly_price": Decimal("450.00"),
                "start": date(2031, 1, 1),
            },
            actor=finance,
        )
    period = billing.do_create_period(2031, 5, actor=finance)
    maker = asset_actions.do_create_manufacturer({"name": "Tillverkare F"}, actor=tech)
    asset_actions.do_create_asset_model(
        {"manufacturer": maker, "name": "Modell F", "category": "laptop", "expected_lifetime_months": 48}, actor=tech
    )
    text = "Serienummer;Tillverkare;Modell;Inköpsdatum;Pris;Ordernummer;Kostnadsställe\n" + "".join(
        f"FAULT-{n};Tillverkare F;Modell F;2031-03-01;9999;PO-1;CC-0\n" for n in range(ROWS)
    )
    batch = imports.do_upload_asset_import(
        owners[0][0], SimpleUploadedFile("leverans.csv", text.encode(), content_type="text/csv"), actor=tech
    )
    return {"period": period.pk, "batch": batch.pk, "owners": len(owners)}


def run_billing() -> dict[str, Any]:
    period = BillingPeriod.objects.get(year=2031, month=5)
    run = billing.do_run_billing(period, actor=User.objects.get(username="finance_fault"), background=True)
    return {"run": run.pk}


def _batch() -> AssetImport:
    return AssetImport.objects.get(original_filename="leverans.csv")


def check_import() -> dict[str, Any]:
    settings.SAMDRIFT_IMPORT_SYNC_ROWS = 0  # as if the file were large: the dry run is a task
    batch = imports.start_check(_batch(), actor=User.objects.get(username="tech_fault"))
    return {"status": batch.status}


def commit_import() -> dict[str, Any]:
    settings.SAMDRIFT_IMPORT_SYNC_ROWS = 0
    batch = imports.start_commit(_batch(), actor=User.objects.get(username="tech_fault"))
    return {"status": batch.status}


def load(n: int) -> dict[str, Any]:
    ids = [str(verify_audit_chain.enqueue().id) for _ in range(n)]
    return {"tasks": ids}


def state(assets: bool = False) -> dict[str, Any]:
    """What the test checks. The assets are counted only when asked: while the test holds its lock
    on the asset table, counting them would wait too."""
    batch = _batch()
    healthy, health = operations.health()
    snap = operations.snapshot()
    return {
        "runs": list(BillingRun.objects.order_by("pk").values("pk", "status", "message", "progress", "expired_at")),
        "import": {"status": batch.status, "message": batch.message, "expired": batch.expired_at is not None},
        "assets": Asset.objects.filter(serial_number__startswith="FAULT-").count() if assets else None,
        "invoices": Invoice.objects.filter(period__year=2031, period__month=5).count(),
        "tasks": list(DBTaskResult.objects.values("id", "task_path", "status", "exception_class_path", "worker_ids")),
        "heartbeats": list(
            ProcessHeartbeat.objects.values("name", "kind", "last_seen", "stopped", "reconnects", "last_error")
        ),
        "periodic": list(PeriodicState.objects.values("name", "last_enqueued", "last_by")),
        "health": {"ok": healthy, **health},
        "jobs": [
            {
                "kind": row["kind"].key,
                "running": row["running"],
                "overdue": row["overdue"],
                "problems": len(row["problems"]),
            }
            for row in snap["jobs"]
        ],
        "queue": {k: v for k, v in snap["queue"].items() if k in ("ready", "running", "failed_day", "lost_day")},
        "now": timezone.now(),
    }


COMMANDS = {
    "schema": schema,
    "setup": setup,
    "run_billing": run_billing,
    "check_import": check_import,
    "commit_import": commit_import,
    "load": load,
    "state": state,
}


def main() -> None:
    for line in sys.stdin:
        command = json.loads(line)
        try:
            close_old_connections()
            result = COMMANDS[command.pop("op")](**command)
        except Exception as exc:
            for conn in connections.all(initialized_only=True):
                try:
                    conn.close()
                except Exception:
                    pass
            result = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
        sys.stdout.write(json.dumps(result, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
