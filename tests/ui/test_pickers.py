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
