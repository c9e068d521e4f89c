"""The monthly owner report is kept as an official record: the information management plan lists
it (kept for ever, archived), an access request's search finds it by owner, the record shows its
parts and carries the PDF, and if the plan is changed to a retention the records officer's
disposal removes it through insight's own action."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from samdrift.insight.models import OwnerReport
from samdrift.records import actions as records_actions
from samdrift.records.models import BatchStatus, RecordType
from samdrift.records.sources import SOURCES, disposer_for_ct

pytestmark = pytest.mark.django_db


def test_the_plan_keeps_owner_reports(world: Any) -> None:
    rule = RecordType.objects.get(code="owner_reports")
    assert rule.keep and rule.archived and rule.content_type.model_class() is OwnerReport
    assert disposer_for_ct(rule.content_type) is SOURCES["insight.ownerreport"]
    # Kept for ever: nothing is proposed for disposal, however old.
    rule = records_actions.do_update_record_type(rule, {"decision": "Beslut 2026:1"}, actor=world.records)
    later = timezone.now() + timedelta(days=365 * 50)
    assert records_actions.propose_disposal(rule, actor=world.records, now=later) is None


def test_an_access_request_search_finds_the_report_and_shows_its_pdf(world: Any) -> None:
    report = world.a.extra["owner_report"]
    source = SOURCES["insight.ownerreport"]
    hits = source.search(world.a.owner.name, None, None)
    assert [h.object_id for h in hits] == [str(report.pk)]
    assert hits[0].identifier == f"{world.a.owner.municipality_code}-{report.month:%Y-%m}" and not hits[0].marked
    rendered = source.parts(source.get(report.pk), {})
    parts = {p.key: p.text for p in rendered.parts}
    assert parts["sha256"] == report.sha256 and parts["owner"] == world.a.owner.name
    assert world.a.viewer.email in parts["recipients"]
    (pdf,) = rendered.attachments
    with pdf.file.open("rb") as handle:
        assert handle.read() == bytes(report.pdf)
    assert not rendered.is_marked
    assert source.search("ingenträff", None, None) == []


def test_a_decided_retention_disposes_of_old_reports_through_insight(world: Any) -> None:
    report = world.a.extra["owner_report"]
    rule = RecordType.objects.get(code="owner_reports")
    rule = records_actions.do_update_record_type(
        rule, {"keep": False, "retention_years": 10, "decision": "Beslut 2026:2"}, actor=world.records
    )
    assert records_actions.propose_disposal(rule, actor=world.records, now=timezone.now()) is None  # not yet
    batch = records_actions.propose_disposal(rule, actor=world.records, now=timezone.now() + timedelta(days=3660))
    assert batch is not None and batch.item_count == OwnerReport.objects.count()
    records_actions.do_approve_batch(batch, "Beslut 2026:2", actor=world.records)
    batch = records_actions.do_execute_batch(batch, actor=world.records)
    assert batch.status == BatchStatus.EXECUTED
    assert not OwnerReport.objects.filter(pk=report.pk).exists()
