"""The scheduler enqueues periodic tasks; the real database worker runs them."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from samdrift.core.models import ProcessHeartbeat
from samdrift.core.scheduling import Periodic, Scheduler


def test_scheduler_enqueues_on_start_and_again_after_the_interval(db: Any) -> None:
    now = [timezone.now()]
    scheduler = Scheduler(
        [Periodic("verify", "samdrift.core.tasks.verify_audit_chain", timedelta(hours=1))], clock=lambda: now[0]
    )
    assert scheduler.tick() == ["verify"]
    assert scheduler.tick() == []
    now[0] += timedelta(seconds=3599)
    assert scheduler.tick() == []
    now[0] += timedelta(seconds=2)
    assert scheduler.tick() == ["verify"]
    assert DBTaskResult.objects.count() == 2


def test_a_second_scheduler_does_not_enqueue_again_what_the_first_did(db: Any) -> None:
    periodic = [Periodic("verify", "samdrift.core.tasks.verify_audit_chain", timedelta(hours=1))]
    now = [timezone.now()]
    first = Scheduler(periodic, clock=lambda: now[0])
    second = Scheduler(periodic, clock=lambda: now[0])
    assert first.tick() == ["verify"]
    assert second.tick() == []
    now[0] += timedelta(hours=1, seconds=1)
    assert second.tick() == ["verify"]
    assert first.tick() == []
    assert DBTaskResult.objects.count() == 2
    assert set(ProcessHeartbeat.objects.values_list("kind", flat=True)) == {"scheduler"}
    assert ProcessHeartbeat.objects.count() == 1  # both in this process: one name


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_nightly_audit_verification(world: Any) -> None:
    call_command("scheduler", "--once")
    call_command("db_worker", "--batch", "--no-startup-delay")
    results = list(DBTaskResult.objects.all())
    assert {r.status for r in results} == {"SUCCESSFUL"}, [r.traceback for r in results]
    result = DBTaskResult.objects.get(task_path="samdrift.core.tasks.verify_audit_chain")
    assert result.return_value["ok"] is True
    assert result.return_value["checked"] > 20
