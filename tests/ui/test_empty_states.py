"""Every list says so in Swedish when it is empty (issue 15): the shared list view gives each table
its empty-state text ("nothing here yet", or "nothing matches the filters" when filtered), and the
pages that draw their own tables add an empty row."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse

from samdrift.core.views import ScopedListView
from tests.test_isolation import all_routes

EMPTY = re.compile(r"Här finns inget ännu\.|Inget matchar filtren\.")


def _list_routes() -> list[Any]:
    return [
        r
        for r in all_routes()
        if not r.kwargs
        and isinstance(getattr(r.callback, "view_class", None), type)
        and issubclass(r.callback.view_class, ScopedListView)
    ]


@pytest.mark.django_db
def test_every_list_says_in_swedish_that_it_is_empty(world: Any, web: Any) -> None:
    client = web(world.admin)
    checked, silent = [], []
    for route in _list_routes():
        view = route.callback.view_class
        original = view.get_queryset

        def nothing(self: Any, original: Any = original) -> Any:
            return original(self).none()

        with mock.patch.object(view, "get_queryset", nothing):
            response = client.get(reverse(route.name), HTTP_ACCEPT_LANGUAGE="sv")
        if response.status_code != 200:
            continue  # not the administrator's list (the crawl covers each role's own)
        checked.append(route.name)
        if not EMPTY.search(response.content.decode()):
            silent.append(route.name)
    assert len(checked) >= 20, f"too few lists were checked: {checked}"
    assert silent == [], f"empty lists without an empty-state text: {silent}"


@pytest.mark.django_db
def test_a_filtered_empty_list_says_the_filters_are_the_reason(world: Any, web: Any) -> None:
    html = web(world.admin).get(reverse("asset_list") + "?q=zzqqxxnothing", HTTP_ACCEPT_LANGUAGE="sv")
    assert "Inget matchar filtren." in html.content.decode()
