"""The prefix-search indexes that the million-row lists rely on match the SQL Django writes.

The indexes are hand-made expressions (`UPPER(col::text) text_pattern_ops`, PostgreSQL only; see
tenancy 0003 and assets 0003; trigram indexes for word searches in servicedesk 0006 and records
0004); if Django's SQL for `istartswith` and the expression drift apart,
the lists silently fall back to scanning every row. With sequential scans priced out, the plan of
each list's search must name every index of its fields. Runs in CI's PostgreSQL step.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from samdrift.assets.filters import AssetFilter, TriageDeviceFilter
from samdrift.assets.models import Asset, TriageDevice
from samdrift.records.models import Case
from samdrift.records.sources import SOURCES, _match
from samdrift.servicedesk.filters import TicketFilter
from samdrift.servicedesk.models import Ticket
from samdrift.tenancy.filters import PersonFilter
from samdrift.tenancy.models import Person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="expression indexes exist on PostgreSQL only"),
]

CASES = [
    (AssetFilter, Asset, {"asset_tag_upper_idx", "asset_serial_upper_idx", "asset_hostname_upper_idx"}),
    (
        TriageDeviceFilter,
        TriageDevice,
        {"triage_hostname_upper_idx", "triage_serial_upper_idx", "triage_device_upper_idx"},
    ),
    (
        PersonFilter,
        Person,
        {
            "person_first_name_upper_idx",
            "person_last_name_upper_idx",
            "person_email_upper_idx",
            "person_external_id_upper_idx",
        },
    ),
]


@pytest.mark.parametrize(("filterset", "model", "indexes"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_list_search_uses_the_prefix_indexes(world: Any, filterset: Any, model: Any, indexes: set[str]) -> None:
    qs = filterset({"q": "ab"}, queryset=model.objects.all()).qs.order_by("-id")[:26]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # no walking the primary key in id order
        plan = qs.explain()
    missing = {name for name in indexes if name not in plan}
    assert not missing, f"{model.__name__} search does not use {sorted(missing)}:\n{plan}"


def _plan(qs: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return qs.explain()


def test_the_ticket_list_word_search_uses_the_trigram_indexes(world: Any) -> None:
    qs = TicketFilter({"q": "skrivare"}, queryset=Ticket.objects.all()).qs.order_by("-id")[:26]
    plan = _plan(qs)
    for name in ("sd_ticket_subject_trgm", "sd_ticket_number_trgm"):
        assert name in plan, f"ticket search does not use {name}:\n{plan}"


@pytest.mark.parametrize(
    ("source", "indexes"),
    [
        ("servicedesk.ticket", {"sd_ticket_subject_trgm", "sd_ticket_description_trgm", "sd_ticket_number_trgm"}),
        ("records.case", {"records_case_subject_trgm", "records_case_regno_trgm", "records_case_counterparty_trgm"}),
    ],
)
def test_the_records_search_uses_the_trigram_indexes(world: Any, source: str, indexes: set[str]) -> None:
    src = SOURCES[source]
    model = Ticket if source == "servicedesk.ticket" else Case
    assert src.model() is model
    qs = src.queryset().filter(_match(["wifi", "bibliotek"], src.search_fields)).order_by("-pk")[:200]
    plan = _plan(qs)
    missing = {name for name in indexes if name not in plan}
    assert not missing, f"{source} records search does not use {sorted(missing)}:\n{plan}"
