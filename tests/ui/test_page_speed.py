"""The pages people open all day stay fast by construction (the crawl's server-time goal): list
dates render without compiling a template per cell, the model choices are fetched with their
manufacturer instead of one query per option, and the new-ticket form searches for the requester
instead of rendering every person of every owner."""

from __future__ import annotations

from datetime import date
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.assets import actions
from samdrift.assets.models import Asset
from samdrift.assets.tables import AssetTable
from samdrift.core import columns
from samdrift.tenancy.models import Person

pytestmark = pytest.mark.django_db


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_list_dates_render_without_a_template_per_cell(world: Any, web: Any) -> None:
    assert isinstance(AssetTable.base_columns["warranty_end"], columns.DateColumn)
    assert isinstance(AssetTable.base_columns["last_seen"], columns.DateTimeColumn)
    Asset.objects.filter(pk=world.a.extra["asset"].pk).update(warranty_end=date(2031, 3, 4))
    client = web(world.admin)
    client.get(reverse("asset_list"))  # the session's first request stamps its start
    # django-tables2's own date columns compile `Template(...)` for every cell: forbid it.
    with mock.patch("django_tables2.columns.templatecolumn.Template", side_effect=AssertionError("per cell")):
        page = client.get(reverse("asset_list")).content.decode()
    assert "2031-03-04" in page and f"T-{world.a.marker}" in page
    # An empty date shows the column's default, as before.
    assert "<td >—</td>" in page or "<td>—</td>" in page


def test_asset_pages_do_not_query_once_per_model(world: Any, web: Any) -> None:
    client = web(world.admin)
    urls = [reverse("asset_list"), reverse("asset_create"), reverse("asset_edit", args=[world.a.extra["asset"].pk])]
    client.get(urls[0])
    before = [_count(client, url) for url in urls]
    for i in range(4):
        maker = actions.do_create_manufacturer({"name": f"Snabbtillverkare {i}"}, actor=None)
        actions.do_create_asset_model(
            {"manufacturer": maker, "name": f"Snabbmodell {i}", "category": "laptop"}, actor=None
        )
    assert [_count(client, url) for url in urls] == before


def test_the_new_ticket_form_searches_for_the_requester(world: Any, web: Any) -> None:
    page = web(world.agent).get(reverse("sd_ticket_create")).content.decode()
    assert 'name="requester__search"' in page and '<select name="requester"' not in page
    people = list(Person.objects.all())
    assert len(people) > 3
    assert not [person for person in people if str(person) in page]
