"""A NUL character anywhere in an API request is a 400 that changes nothing, on every route; in a
page's path or query too (core/middleware.py's RefuseNulMiddleware).

PostgreSQL cannot hold NUL in text: a value with one that reached a query was a server error
there (CI's schemathesis found it in the records API). DRF's CharField refuses NUL; the project's
parsers (samdrift/core/parsers.py) refuse it in every value and key, for every field type
and every value a view reads itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

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


SWEDISH = "NUL-tecken"


def test_a_nul_in_any_query_or_path_is_refused_on_every_route_and_writes_nothing(world: Any, web: Any) -> None:
    """Pages and API alike, exports included: before, an export with `?q=%00` was a server error on
    PostgreSQL (its audit event records the filters) and other values reached queries unchecked."""
    from django.urls import reverse

    from samdrift.core.models import AuditEvent
    from tests.test_isolation import all_routes

    client = web(world.admin)
    events = AuditEvent.objects.count()
    routes = [r for r in all_routes() if not r.kwargs or r.kwargs == ("format",)]
    assert len(routes) > 100
    for route in routes:
        url = reverse(route.name)
        for query in ({"q": "a\x00b"}, {"q": "VPN", "export": "csv", "status\x00": "new"}):
            response = client.get(url, query)
            assert response.status_code == 400, f"{url} {query!r}: {response.status_code}"
            body = response.json()["detail"] if url.startswith("/api/") else response.content.decode()
            assert SWEDISH in body, f"{url}: {body[:200]}"
    for path in ("/api/v1/tickets/%00/", "/people/%00/"):
        assert client.get(path).status_code == 400, path
    assert AuditEvent.objects.count() == events
    # The same requests without the NUL are answered as before.
    assert client.get("/people/", {"q": "ab"}).status_code == 200
    assert client.get("/api/v1/tickets/", {"q": "VPN"}).status_code == 200


def test_a_nul_in_a_pages_form_is_refused_and_creates_nothing(world: Any, web: Any) -> None:
    from django.urls import reverse

    before = Ticket.objects.count()
    client = web(world.agent)
    data = {
        "requester": world.a.employee.pk,
        "subject": "VPN",
        "description": "Nere",
        "channel": "phone",
        "type": "incident",
        "impact": 3,
        "urgency": 3,
    }
    form = "application/x-www-form-urlencoded"  # as a browser sends a form without files
    response = client.post(reverse("sd_ticket_create"), urlencode({**data, "category": "1\x00"}), content_type=form)
    assert response.status_code == 400 and SWEDISH in response.content.decode()
    assert Ticket.objects.count() == before
    # A multipart form's text goes through the form's fields, which refuse NUL on their own.
    response = client.post(reverse("sd_ticket_create"), {**data, "subject": "VPN\x00"})
    assert response.status_code == 200  # the form again, with the field's error
    assert Ticket.objects.count() == before
    # Without the NUL the same form creates the ticket.
    assert client.post(reverse("sd_ticket_create"), urlencode(data), content_type=form).status_code == 302
    assert Ticket.objects.count() == before + 1
