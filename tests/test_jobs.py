"""One job mechanism: a job whose process died is found by the sweep and can be run again at once;
task rows of a dead worker are failed; /health/ and the operations page say what happened.

The fault test (tests/test_faults.py) does the same with real processes killed and a real
PostgreSQL restarted; these tests pin the rules on the rows a killed process leaves behind.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from samdrift.assets.models import AssetImport, ImportState
from samdrift.billing import actions as billing
from samdrift.billing.models import BillingRun, RunStatus
from samdrift.core import operations
from samdrift.core.jobs import holding_lease, set_progress, sweep
from samdrift.core.models import AuditEvent, ProcessHeartbeat
from samdrift.core.roles import Role
from samdrift.core.tasks import verify_audit_chain
from tests.conftest import make_user


@pytest.fixture
def finance(db: Any) -> Any:
    return make_user("fin_jobs", Role.FINANCE)


def killed_run(finance: Any, *, lease_left: float = -1) -> BillingRun:
    """What a worker killed in the middle of a run leaves: a running run whose lease is not renewed."""
    period = billing.do_create_period(2031, 3, actor=finance)
    run = BillingRun.objects.create(period=period, created_by=finance)
    set_progress(run, 50, "Abonnemang", status=RunStatus.RUNNING)
    BillingRun.objects.filter(pk=run.pk).update(lease_expires=timezone.now() + timedelta(seconds=lease_left))
    return run


def beat(kind: str, name: str, age: float = 0) -> None:
    ProcessHeartbeat.objects.update_or_create(
        name=name, defaults={"kind": kind, "last_seen": timezone.now() - timedelta(seconds=age)}
    )


def test_a_killed_billing_run_is_failed_by_the_sweep_and_can_be_rerun_and_closed(finance: Any) -> None:
    run = killed_run(finance)
    with pytest.raises(ValidationError):
        billing.do_run_billing(run.period, actor=finance)  # "En körning av ... pågår redan"
    with translation.override("sv"):
        result = sweep()
    assert result["jobs"] == [f"billing.run:{run.pk}"]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.lease_expires is None
    assert run.expired_at is not None and run.finished is not None
    assert "Kör den igen" in run.message, run.message
    event = AuditEvent.objects.filter(object_type="billing.billingrun", object_id=str(run.pk)).order_by("-id").first()
    assert event is not None and event.extra["action"] == "job_lease_expired"
    assert event.changes == {"status": ["running", "failed"]}
    rerun = billing.do_run_billing(run.period, actor=finance)
    assert rerun.status == RunStatus.DONE
    billing.do_close_period(run.period, actor=finance)
    assert sweep()["jobs"] == []  # nothing twice


def test_a_job_whose_lease_is_renewed_is_left_alone(finance: Any) -> None:
    run = killed_run(finance, lease_left=30)
    assert sweep()["jobs"] == []
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_killed_asset_import_can_be_checked_or_imported_again(world: Any) -> None:
    past = timezone.now() - timedelta(seconds=1)
    # Killed while they ran: a worker had taken them (their heartbeat), then went silent.
    checking = AssetImport.objects.create(
        owner=world.a.owner,
        file="x.csv",
        original_filename="x.csv",
        status=ImportState.CHECKING,
        lease_expires=past,
        heartbeat_at=past,
    )
    committing = AssetImport.objects.create(
        owner=world.a.owner,
        file="y.csv",
        original_filename="y.csv",
        status=ImportState.COMMITTING,
        lease_expires=past,
        heartbeat_at=past,
    )
    queued = AssetImport.objects.create(
        owner=world.a.owner, file="z.csv", original_filename="z.csv", status=ImportState.CHECKING
    )
    with translation.override("sv"):
        sweep()
    checking.refresh_from_db()
    committing.refresh_from_db()
    queued.refresh_from_db()
    assert checking.status == ImportState.ERROR and "igen" in checking.message
    assert committing.status == ImportState.VALIDATED and "ingenting importerades" in committing.message
    assert queued.status == ImportState.CHECKING  # waiting in the queue holds no lease yet


def test_task_rows_of_a_dead_worker_are_failed_and_a_live_workers_are_not(db: Any, settings: Any) -> None:
    old = timezone.now() - timedelta(seconds=settings.SAMDRIFT_SILENT_SECONDS + 5)
    beat("worker", "worker-alive")
    beat("worker", "worker-dead", age=settings.SAMDRIFT_SILENT_SECONDS + 60)
    rows = {}
    for worker in ("worker-alive", "worker-dead", "never-heard-of"):
        result = verify_audit_chain.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", started_at=old, worker_ids=[worker])
        rows[worker] = result.id
    failed = set(sweep()["tasks"])
    assert failed == {str(rows["worker-dead"]), str(rows["never-heard-of"])}
    statuses = dict(DBTaskResult.objects.values_list("worker_ids__0", "status"))
    assert statuses == {"worker-alive": "RUNNING", "worker-dead": "FAILED", "never-heard-of": "FAILED"}


@pytest.mark.django_db(transaction=True)
def test_holding_the_lease_renews_it_while_the_work_runs(settings: Any) -> None:
    settings.SAMDRIFT_JOB_LEASE_SECONDS = 1
    finance = make_user("fin_lease", Role.FINANCE)
    run = killed_run(finance, lease_left=1)
    assert not connection.in_atomic_block
    with holding_lease(run):
        time.sleep(2.5)  # more than two lease lengths
        assert sweep()["jobs"] == []
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    time.sleep(1.2)
    assert sweep()["jobs"] == [f"billing.run:{run.pk}"]


def test_health_answers_503_until_a_worker_and_the_scheduler_are_heard_from(
    client: Any, db: Any, settings: Any
) -> None:
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["worker"]["ok"] is False and body["status"] == "degraded"
    beat("worker", "w1")
    beat("scheduler", "s1")
    response = client.get(reverse("health"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"
    ProcessHeartbeat.objects.filter(name="s1").update(
        last_seen=timezone.now() - timedelta(seconds=settings.SAMDRIFT_SILENT_SECONDS + 1)
    )
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["scheduler"]["silent_seconds"] >= settings.SAMDRIFT_SILENT_SECONDS


def test_health_answers_503_when_the_database_is_away(client: Any, db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(operations, "check_database", lambda: {"ok": False, "error": "gone", "vendor": "x"})
    response = client.get(reverse("health"))
    assert response.status_code == 503 and response.json()["database"] == "unavailable"


def test_operations_page_is_for_administrators_and_shows_what_happened(world: Any, web: Any) -> None:
    finance = world.finance
    run = killed_run(finance)
    with translation.override("sv"):
        sweep()
    beat("worker", "worker-seen")
    ProcessHeartbeat.objects.filter(name="worker-seen").update(
        reconnects=2, last_error="database unavailable for 2.8 s"
    )
    operations.register_section(
        operations.Section(
            "test-extra", "Extra section", engines["django"].from_string("seven: {{ data.n }}"), lambda now: {"n": 7}
        )
    )
    try:
        assert web(world.a.viewer).get(reverse("operations")).status_code == 403
        assert web(world.finance).get(reverse("operations")).status_code == 403
        admin = web(world.admin)
        home = admin.get(reverse("home")).content.decode()
        assert reverse("operations") in home  # reached from the navigation
        page = admin.get(reverse("operations")).content.decode()
    finally:
        operations.SECTIONS.pop("test-extra")
    assert "worker-seen" in page and "database unavailable for 2.8 s" in page
    assert run.get_absolute_url() in page and "Kör den igen" in page
    assert "Extra section" in page and "seven: 7" in page


def test_operations_page_queries_do_not_grow_with_jobs_and_processes(
    world: Any, web: Any, django_assert_max_num_queries: Any
) -> None:
    admin = web(world.admin)
    admin.get(reverse("operations"))
    # One query per registered kind of job at most (each app registers its own), never per job or process.
    with django_assert_max_num_queries(40) as few:
        assert admin.get(reverse("operations")).status_code == 200
    for n in range(5):
        beat("worker", f"w{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin.get(reverse("operations")).status_code == 200


def test_the_job_summary_counts_every_kind_in_one_statement(world: Any, django_assert_num_queries: Any) -> None:
    """Running, overdue and problems per kind, as counting each table on its own gives; one
    statement for all the kinds, and one more only for each kind with problems to list."""
    from samdrift.core.jobs import JOB_KINDS, job_summary

    def by_kind(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int, list[Any]]]:
        return {row["kind"].key: (row["running"], row["overdue"], row["problems"]) for row in rows}

    with django_assert_num_queries(1):
        quiet = by_kind(job_summary())
    assert set(quiet) == set(JOB_KINDS) and all(v == (0, 0, []) for v in quiet.values())

    past = timezone.now() - timedelta(seconds=1)
    AssetImport.objects.create(
        owner=world.a.owner, file="x.csv", original_filename="x.csv", status=ImportState.CHECKING, lease_expires=past
    )
    AssetImport.objects.create(
        owner=world.b.owner, file="y.csv", original_filename="y.csv", status=ImportState.CHECKING
    )
    failed = killed_run(world.finance)
    with translation.override("sv"):
        sweep()  # the billing run is marked failed; the asset import is swept too
    # Another run, overdue and not yet swept.
    other = BillingRun.objects.create(
        period=billing.do_create_period(2031, 4, actor=world.finance), created_by=world.finance
    )
    BillingRun.objects.filter(pk=other.pk).update(status=RunStatus.RUNNING, lease_expires=past)
    AssetImport.objects.create(
        owner=world.a.owner, file="z.csv", original_filename="z.csv", status=ImportState.CHECKING, lease_expires=past
    )
    with django_assert_num_queries(3):  # the counts, then the problems of the two kinds that have some
        rows = by_kind(job_summary())
    assert rows["assets.import"][:2] == (2, 1) and len(rows["assets.import"][2]) == 1
    assert rows["billing.run"][:2] == (1, 1) and rows["billing.run"][2] == [failed]
    assert all(v == (0, 0, []) for k, v in rows.items() if k not in {"assets.import", "billing.run"})
    with django_assert_num_queries(1):  # /health/ asks for no problems
        health = by_kind(job_summary(days=0))
    assert health["assets.import"] == (2, 1, []) and health["billing.run"] == (1, 1, [])
