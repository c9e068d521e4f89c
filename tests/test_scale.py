"""The synthetic data generator behind the benchmarks (`samdrift demo --owners N --people M`),
at a small scale: exact counts, people at every owner, every row audited, the chain intact."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from samdrift.core.audit import verify_chain
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.tenancy.demo import DEMO_LOGINS, load_demo
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person, User

pytestmark = pytest.mark.django_db


def test_demo_builds_synthetic_data_at_the_asked_scale(capsys: Any) -> None:
    call_command("demo", "--owners", "5", "--people", "2000")
    assert "2000 people" in capsys.readouterr().out

    assert Owner.objects.count() == 5
    generated = Person.objects.exclude(external_id__startswith="DEMO-")
    assert generated.count() == 2000
    assert Person.objects.count() == 2000 + len(DEMO_LOGINS)
    assert User.objects.count() == len(DEMO_LOGINS)
    assert not Owner.objects.annotate(n=Count("people")).filter(n=0).exists()
    # employees and pupils in the demo's proportion (4,300 : 3,500), split exactly
    assert generated.filter(kind="employee").count() == 2000 * 4300 // 7800
    assert not generated.filter(kind="pupil").exclude(phone="", title="").exists()
    # people belong to their own owner's org units and cost centres
    assert not generated.exclude(org_unit__owner_id=F("owner_id")).exists()
    assert not generated.exclude(cost_centre__owner_id=F("owner_id")).exists()


def test_every_generated_row_is_audited_and_the_chain_verifies() -> None:
    counts = load_demo(owners=5, people=2000)
    assert counts["owners"] == 5 and counts["people"] == 2000

    created = AuditEvent.objects.filter(event_type=AuditEventType.CREATED)
    for model in (Owner, OrgUnit, CostCentre, Person, User):
        label = model._meta.label_lower
        assert created.filter(object_type=label).count() == model.objects.count(), label
    assert AuditEvent.objects.filter(event_type=AuditEventType.DEMO_LOADED).count() == 1

    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == AuditEvent.objects.count()


def test_fewer_owners_than_the_demo_logins_name() -> None:
    counts = load_demo(owners=1, people=50)
    assert counts["owners"] == 1
    assert Person.objects.filter(owner__isnull=False).count() == 50 + len(DEMO_LOGINS)
    assert verify_chain().ok
