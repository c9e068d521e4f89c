"""The URL groups (the API's per-resource includes, the capabilities' lookahead prefixes) change
no URL: every route reverses and resolves back to itself, and the grouping falls back to a plain
include when a module has a route without a literal first segment."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse

from samdrift.core.urlgroups import first_segments


def _named(patterns: list[Any], kwargs: tuple[str, ...] = ()) -> Any:
    for p in patterns:
        names = kwargs + tuple(p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            yield from _named(p.url_patterns, names)
        elif isinstance(p, URLPattern) and p.name:
            yield p.name, names, p.callback


SAMPLE = {"pk": "7", "format": "json", "kind": "people", "token": "abc", "uidb64": "MQ", "slug": "x"}


def test_every_route_reverses_and_resolves_back_to_its_own_view() -> None:
    checked = 0
    for name, kwargs, _callback in _named(get_resolver().url_patterns):
        try:
            url = reverse(name, kwargs={k: SAMPLE.get(k, "1") for k in kwargs})
        except NoReverseMatch:
            continue  # a name shared by two routes with other arguments; the other one is checked
        match = resolve(url)
        # Or an earlier route with the same URL (our login page before allauth's).
        same = match.url_name == name or reverse(match.view_name, kwargs=match.kwargs) == url
        assert same, (name, url, match.url_name)
        checked += 1
    assert checked > 600, checked


def test_api_routes_keep_their_urls() -> None:
    assert reverse("ticket-list") == "/api/v1/tickets/"
    assert reverse("ticket-detail", kwargs={"pk": 5}) == "/api/v1/tickets/5/"
    assert reverse("api-root") == "/api/v1/"
    assert resolve("/api/v1/billing/invoices/").url_name == "invoice-list"
    assert resolve("/servicedesk/tickets/new/").url_name == "sd_ticket_create"


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        (["servicedesk/tickets/", "portal/", "^servicedesk/x/$"], {"servicedesk", "portal"}),
        (["", "insight/"], None),  # the start page has no first segment
        (["<slug:kind>/x/"], None),  # a converter
        (["^(?P<a>x)/y/$"], None),  # a regular expression
        (["health"], None),  # no slash: the whole path is the segment
    ],
)
def test_first_segments_falls_back_when_a_route_has_no_literal_one(routes: list[str], expected: Any) -> None:
    class P:
        def __init__(self, text: str) -> None:
            self.pattern = text

    assert first_segments([P(r) for r in routes]) == expected
