"""A scoped model form validates with the choices its subclass narrowed, not the wider ones it had
before: `ScopedModelForm.__init__` once read `form.errors` (to mark invalid fields) and so validated
a bound form before the subclass's own `__init__` could narrow a field."""

from __future__ import annotations

from typing import Any

import pytest

from samdrift.tenancy.forms import OrgUnitForm
from samdrift.tenancy.models import OrgUnit

pytestmark = pytest.mark.django_db


class SchoolsOnlyParentForm(OrgUnitForm):
    """Narrows `parent` after the base form's __init__, as PackageForm narrows to active rows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = OrgUnit.objects.none()  # type: ignore[attr-defined]


def test_a_choice_the_subclass_narrowed_away_is_refused(world: Any) -> None:
    data = {
        "owner": world.a.owner.pk,
        "parent": world.a.admin_unit.pk,  # visible to the admin, but not offered by this form
        "code": "NARROW-1",
        "name": "Narrowed",
        "kind": world.a.school.kind,
    }
    form = SchoolsOnlyParentForm(data, user=world.admin)
    assert not form.is_valid()
    assert "parent" in form.errors
    assert "is-invalid" in form.fields["parent"].widget.attrs["class"]  # still marked, after validation


def test_the_same_choice_is_accepted_where_it_is_offered(world: Any) -> None:
    data = {
        "owner": world.a.owner.pk,
        "parent": world.a.admin_unit.pk,
        "code": "NARROW-2",
        "name": "Offered",
        "kind": world.a.school.kind,
    }
    form = OrgUnitForm(data, user=world.admin)
    assert form.is_valid(), form.errors
    assert "is-invalid" not in form.fields["parent"].widget.attrs["class"]


def test_another_owners_choice_is_still_refused_by_the_scope(world: Any) -> None:
    data = {
        "owner": world.a.owner.pk,
        "parent": world.b.admin_unit.pk,
        "code": "NARROW-3",
        "name": "Other owner",
        "kind": world.a.school.kind,
    }
    form = OrgUnitForm(data, user=world.a.viewer)
    assert not form.is_valid()
