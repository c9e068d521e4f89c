"""Choosing recipients on the order form: a search among the orderer's own owner's people instead of
a list of thousands; what was chosen survives a form error."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.tenancy.models import Person

pytestmark = pytest.mark.django_db


def test_the_search_finds_the_orderers_people_by_name_email_or_number_and_never_another_owners(
    world: Any, web: Any
) -> None:
    a, b = world.a, world.b
    client = web(a.orderer)
    url = reverse("order_recipient_search")
    body = client.get(url, {"recipients_search": a.employee.last_name[:3].lower()}).content.decode()
    assert f'value="{a.employee.pk}"' in body
    full = client.get(url, {"recipients_search": f"{a.employee.first_name} {a.employee.last_name}"}).content.decode()
    assert f'value="{a.employee.pk}"' in full
    by_mail = client.get(url, {"recipients_search": a.employee.email.upper()}).content.decode()
    assert f'value="{a.employee.pk}"' in by_mail
    # Owner B's people are not found, by their name or their e-mail.
    for text in (b.employee.last_name, b.employee.email, b.marker):
        assert f'value="{b.employee.pk}"' not in client.get(url, {"recipients_search": text}).content.decode()
    assert "value=" not in client.get(url, {"recipients_search": "x"}).content.decode(), "two letters at least"
    assert web(a.viewer).get(url, {"recipients_search": "an"}).status_code == 403, "orderers only"


def test_the_search_costs_the_same_queries_for_one_match_or_twenty(world: Any, web: Any) -> None:
    a = world.a
    client = web(a.orderer)
    url = reverse("order_recipient_search")
    client.get(url, {"recipients_search": "zz"})  # session and user cached by a first request

    def queries(text: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"recipients_search": text}).status_code == 200
        return len(ctx.captured_queries)

    few = queries(a.employee.last_name)
    Person.objects.bulk_create(
        [
            Person(
                owner=a.owner,
                org_unit=a.school,
                kind="pupil",
                first_name=f"Elev{i}",
                last_name="Sökbarsson",
                external_id=f"SB-{i}",
            )
            for i in range(30)
        ]
    )
    many_body = client.get(url, {"recipients_search": "Sökbarsson"}).content.decode()
    # Twenty shown and a hint that more match (its wording is translated; its class is not).
    assert many_body.count('type="checkbox"') == 20
    assert many_body.count('class="small text-body-secondary sd-more"') == 1
    assert queries("Sökbarsson") == few


def test_the_order_form_lists_no_one_until_searched_and_keeps_the_chosen_after_an_error(world: Any, web: Any) -> None:
    a = world.a
    client = web(a.orderer)
    page = client.get(reverse("order_shop")).content.decode()
    assert 'name="recipients"' not in page, "no one is listed before a search"
    # No cost centre: the form comes back with the error, the chosen recipient still ticked.
    cat = world.extra["ordering"]
    again = client.post(
        reverse("order_shop"),
        {
            "items-TOTAL_FORMS": 1,
            "items-INITIAL_FORMS": 0,
            "items-0-item": f"p:{cat['package'].pk}",
            "items-0-quantity": 1,
            "recipients": [a.employee.pk],
        },
    ).content.decode()
    assert f'name="recipients" value="{a.employee.pk}" checked' in again
    assert again.count('name="recipients"') == 1
