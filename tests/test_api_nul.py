"""A NUL character anywhere in an API request is a 400 that changes nothing, on every route.

PostgreSQL cannot hold NUL in text: a value with one that reached a query was a server error
there (CI's schemathesis found it in the records API). DRF's CharField refuses NUL; the project's
parsers (samdrift/core/parsers.py) refuse it in every value and key, for every field type
and every value a view reads itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from samdrift.core import parsers
from samdrift.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

OURS = (parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser)
MESSAGE = "NUL"


def _ticket(world: Any, **extra: Any) -> dict[str, Any]:
    return {"requester": world.a.employee.pk, "subject": "VPN", "impact": 1, "urgency": 2, **extra}


@pytest.mark.parametrize(
    "body",
    [
        {"status": "new\x00"},  # a choice
        {"tags": ["ok", "x\x00y"]},  # nested in a list
        {"extra\x00key": "1"},  # a key the serializer would ignore
    ],
)
def test_json_with_a_nul_is_refused_and_creates_nothing(world: Any, api: Any, body: dict[str, Any]) -> None:
    before = Ticket.objects.count()
    response = api(world.agent).post("/api/v1/tickets/", _ticket(world, **body), format="json")
    assert response.status_code == 400 and MESSAGE in response.json()["detail"], response.content
    assert MESSAGE in response.json()["detail"]
    assert Ticket.objects.count() == before
    # The same request without the NUL goes through: the refusal is the NUL's alone.
    clean = {k.replace("\x00", ""): v for k, v in body.items()}
    clean = {k: (v.replace("\x00", "") if isinstance(v, str) else v) for k, v in clean.items()}
    clean.pop("tags", None)
    assert api(world.agent).post("/api/v1/tickets/", _ticket(world, **clean), format="json").status_code == 201


def test_a_form_or_multipart_value_with_a_nul_is_refused(world: Any, api: Any) -> None:
    before = Ticket.objects.count()
    client = api(world.agent)
    response = client.post("/api/v1/tickets/", _ticket(world, subject="VPN\x00"), format="multipart")
    assert response.status_code == 400 and MESSAGE in response.json()["detail"]
    data = _ticket(world)
    response = client.post(
        "/api/v1/tickets/",
        "&".join(f"{k}={v}" for k, v in {**data, "impact": "1%00"}.items()),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and MESSAGE in response.json()["detail"]
    assert Ticket.objects.count() == before


def _api_views(patterns: Any) -> Any:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            yield pattern


def test_every_api_route_parses_with_the_parsers_that_refuse_nul() -> None:
    """A view that names its own parser classes must name these (core/parsers.py)."""
    routes = list(_api_views(get_resolver().url_patterns))
    assert len(routes) > 100
    wrong = []
    for route in routes:
        callback = route.callback
        classes = callback.initkwargs.get("parser_classes", callback.cls.parser_classes)
        wrong += [f"{route.pattern}: {c.__module__}.{c.__name__}" for c in classes if not issubclass(c, OURS)]
    assert wrong == []
