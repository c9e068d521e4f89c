"""The scheduler enqueues periodic tasks; the real database worker runs them."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from samdrift.core.scheduling import Periodic, Scheduler


def test_scheduler_enqueues_on_start_and_again_after_the_interval(db: Any) -> None:
    now = [1000.0]
    scheduler = Scheduler(
        [Periodic("verify", "samdrift.core.tasks.verify_audit_chain", timedelta(hours=1))], clock=lambda: now[0]
    )
    assert scheduler.tick() == ["verify"]
    assert scheduler.tick() == []
    now[0] += 3599
    assert scheduler.tick() == []
    now[0] += 2
    assert scheduler.tick() == ["verify"]
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_nightly_audit_verification(world: Any) -> None:
    call_command("scheduler", "--once")
    call_command("db_worker", "--batch", "--no-startup-delay")
    results = list(DBTaskResult.objects.all())
    assert {r.status for r in results} == {"SUCCESSFUL"}, [r.traceback for r in results]
    result = DBTaskResult.objects.get(task_path="samdrift.core.tasks.verify_audit_chain")
    assert result.return_value["ok"] is True
    assert result.return_value["checked"] > 20
