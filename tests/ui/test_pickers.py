"""Search-as-you-type pickers: the form never renders the whole list of people, the search answers
through the user's scope (nothing of another owner), and no filter asks for a raw id."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from samdrift.tenancy.models import Person


@pytest.mark.django_db
def test_the_person_picker_searches_within_the_users_scope(world: Any, web: Any) -> None:
    url = reverse("core_pick", args=["person"])
    a_person, b_person = world.a.employee, world.b.employee
    as_a = web(world.a.viewer).get(url, {"field": "person", "person__search": a_person.last_name[:6]}).content.decode()
    assert f'value="{a_person.pk}"' in as_a
    as_a_for_b = (
        web(world.a.viewer).get(url, {"field": "person", "person__search": b_person.last_name}).content.decode()
    )
    assert f'value="{b_person.pk}"' not in as_a_for_b
    admin = web(world.admin).get(url, {"field": "person", "person__search": b_person.last_name}).content.decode()
    assert f'value="{b_person.pk}"' in admin
    assert web(world.admin).get(url, {"field": "person", "person__search": "x"}).content.decode().strip() == ""
    assert web(world.admin).get(reverse("core_pick", args=["nothing"]), {"field": "person"}).status_code == 404
    assert web(world.admin).get(url, {"field": "a b<"}).status_code == 404
    assert web(None).get(url, {"field": "person"}).status_code == 302


@pytest.mark.django_db
def test_forms_and_filters_offer_a_search_not_every_person(world: Any, web: Any) -> None:
    people = Person.objects.count()
    assert people > 3
    client = web(world.admin)
    new_user = client.get(reverse("user_create")).content.decode()
    assert new_user.count("<option") < people
    assert 'name="person__search"' in new_user and reverse("core_pick", args=["person"]) in new_user
    assets = client.get(reverse("asset_list")).content.decode()
    assert "person-id" not in assets and "person id" not in assets
    assert 'name="assigned_to__search"' in assets
    chosen = client.get(reverse("asset_list"), {"assigned_to": world.a.employee.pk}).content.decode()
    assert f'value="{world.a.employee.pk}" id="id_assigned_to_chosen" checked' in chosen


@pytest.mark.django_db
def test_the_gdpr_form_finds_the_person_by_searching(world: Any, web: Any) -> None:
    html = web(world.records).get(reverse("gdprrequest_list")).content.decode()
    assert 'name="person__search"' in html and "Person-id" not in html


@pytest.mark.django_db
def test_the_check_out_picker_offers_only_people_of_the_devices_owner(world: Any, web: Any) -> None:
    asset = world.a.extra["asset"]
    admin = web(world.admin)
    page = admin.get(reverse("asset_check_out", args=[asset.pk])).content.decode()
    assert f"&quot;within&quot;: {asset.owner_id}" in page  # the search is sent with the owner
    url = reverse("core_pick", args=["person"])
    b_name = world.b.employee.last_name
    within_a = admin.get(url, {"field": "person", "person__search": b_name, "within": asset.owner_id}).content.decode()
    assert f'value="{world.b.employee.pk}"' not in within_a
    a_name = world.a.employee.last_name
    within_a = admin.get(url, {"field": "person", "person__search": a_name, "within": asset.owner_id}).content.decode()
    assert f'value="{world.a.employee.pk}"' in within_a
    # A person of another owner is refused even when posted by hand, and nothing changes.
    response = admin.post(reverse("asset_check_out", args=[asset.pk]), {"person": world.b.employee.pk})
    assert response.status_code == 400
    asset.refresh_from_db()
    assert asset.assigned_to_id == world.a.end_user.person_id


@pytest.mark.django_db
def test_the_move_picker_follows_the_owner_chosen_in_the_form(world: Any, web: Any) -> None:
    asset = world.a.extra["asset"]
    admin = web(world.admin)
    page = admin.get(reverse("asset_move", args=[asset.pk])).content.decode()
    assert "hx-include=\"[name='owner']\"" in page and f"&quot;within&quot;: {asset.owner_id}" in page
    url = reverse("core_pick", args=["person"])
    b_person = world.b.employee
    search = {"field": "person", "person__search": b_person.last_name, "within": asset.owner_id}
    assert f'value="{b_person.pk}"' not in admin.get(url, search).content.decode()
    # Moving to owner B: the owner chosen in the form wins over the device's own.
    moved = admin.get(url, {**search, "owner": world.b.owner.pk}).content.decode()
    assert f'value="{b_person.pk}"' in moved
    # Narrowing never widens: owner A's viewer asking for owner B's people gets none.
    viewer = web(world.a.viewer).get(url, {**search, "owner": world.b.owner.pk}).content.decode()
    assert f'value="{b_person.pk}"' not in viewer


def _filtersets() -> list[Any]:
    import importlib

    import django_filters

    found = []
    for app in ("tenancy", "assets", "servicedesk", "ordering", "billing", "records", "core"):
        module = importlib.import_module(f"samdrift.{app}.filters")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, django_filters.FilterSet)
                and value.__module__ == module.__name__
                and getattr(value._meta, "model", None) is not None
            ):
                found.append(value)
    return found


def test_no_filter_asks_for_a_raw_id() -> None:
    """A filter on a related row is a picker or a short select, never a box for its database id."""
    from django import forms as django_forms
    from django.db import models

    filtersets = _filtersets()
    assert len(filtersets) > 20
    asking_for_ids = []
    for filterset in filtersets:
        model = filterset._meta.model
        for name, flt in filterset.base_filters.items():
            label = str(flt.label or "")
            if "(id)" in label.lower() or "-id)" in label.lower():
                asking_for_ids.append(f"{filterset.__name__}.{name}: {label}")
            try:
                field = model._meta.get_field(flt.field_name.split("__")[0])
            except Exception:
                continue
            widget = flt.extra.get("widget")
            is_relation = isinstance(field, models.ForeignKey) and "__" not in flt.field_name
            typed = isinstance(widget, django_forms.NumberInput | django_forms.TextInput) or (
                widget is None and flt.field_class in (django_forms.IntegerField, django_forms.DecimalField)
            )
            if is_relation and typed:
                asking_for_ids.append(f"{filterset.__name__}.{name}")
    assert asking_for_ids == []
