"""Owner isolation, tested generically (DESIGN.md rule 1).

Every URL pattern of the project, UI and API, is found by walking the URL resolver, so a route
added later is covered without anyone adding it to a list. As each user of owner A:

- every route without an object id is fetched (also as CSV/XLSX export and filtered to owner B)
  and must not show anything of owner B;
- every route with an object id is called with owner B's object in every HTTP method and must
  answer 403, 404 or 405, show nothing of B and change nothing;
- posting data that names owner B creates nothing for B.

Routes whose <pk> refers to an object must say which model that is (`model` on the view, the
viewset's queryset, or a `model` attribute on a function view); the test fails otherwise.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from samdrift.core.models import AuditEvent
from samdrift.tenancy.models import Membership, User

# Routes that answer the same to everyone and hold no owner data.
PUBLIC_ROUTES = {"login", "logout", "account_logout", "set_language", "api_schema", "api_docs", "health"}
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]
    callback: Any
    pattern: str


def _walk(patterns: list[Any], prefix: str = "", kwargs: tuple[str, ...] = ()) -> Iterator[Route]:
    for p in patterns:
        names = tuple(p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), kwargs + names)
        elif isinstance(p, URLPattern):
            yield Route(p.name or "", kwargs + names, p.callback, prefix + str(p.pattern))


def all_routes() -> list[Route]:
    routes = [r for r in _walk(get_resolver().url_patterns) if r.name not in PUBLIC_ROUTES]
    unnamed = [r.pattern for r in routes if not r.name]
    assert not unnamed, f"every route needs a name so the isolation test can build its URL: {unnamed}"
    # Format-suffix duplicates (`.json`) behave like their plain route; keep one of each.
    seen: dict[tuple[str, tuple[str, ...]], Route] = {}
    for r in routes:
        seen.setdefault((r.name, r.kwargs), r)
    return list(seen.values())


def model_of(route: Route) -> type[models.Model]:
    cb = route.callback
    for candidate in (
        getattr(getattr(cb, "view_class", None), "model", None),
        getattr(getattr(getattr(cb, "cls", None), "queryset", None), "model", None),
        getattr(cb, "model", None),
    ):
        if candidate is not None:
            return candidate
    raise AssertionError(f"route {route.name} ({route.pattern}) takes an id but declares no model")


def b_instance(model: type[models.Model], world: Any) -> models.Model:
    """An object of `model` that belongs to owner B."""
    b = world.b.owner
    if model is User:
        obj = User.objects.filter(memberships__owner=b).order_by("pk").first()
    elif model is Membership:
        obj = Membership.objects.filter(owner=b).order_by("pk").first()
    elif model is AuditEvent:
        obj = AuditEvent.objects.filter(owner=b).order_by("pk").first()
    elif hasattr(model, "OWNER_PATH"):
        obj = model._default_manager.filter(**{model.OWNER_PATH: b.pk}).order_by("pk").first()  # type: ignore[attr-defined]
    elif any(isinstance(v, model) for v in world.b.extra.values()):
        # Rows that are not owner-scoped but hold B's data (an import file), put there by tests/worlds.
        obj = next(v for v in world.b.extra.values() if isinstance(v, model))
    else:
        raise AssertionError(f"no rule to find owner B's {model.__name__}; teach b_instance")
    assert obj is not None, f"the world has no {model.__name__} of owner B; add one to the fixture"
    return obj


def body_text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # XLSX: look inside the zipped XML
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            return " ".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return content.decode("utf-8", "replace")


def owner_scoped_counts(owner: Any) -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        path = getattr(model, "OWNER_PATH", None)
        if path and path != "pk":
            counts[model._meta.label] = model._default_manager.filter(**{path: owner.pk}).count()
    return counts


A_ROLES = ["viewer", "orderer", "approver", "end_user"]


def a_users(world: Any) -> list[Any]:
    return [getattr(world.a, role) for role in A_ROLES]


def leaks(text: str, world: Any) -> bool:
    return world.b.marker in text


@pytest.mark.django_db
def test_every_route_is_known_to_the_isolation_test(world: Any) -> None:
    routes = all_routes()
    assert any(r.name == "person-list" for r in routes), "API routes were not found"
    assert any(r.name == "person_detail" for r in routes), "UI routes were not found"
    for route in routes:
        if "pk" in route.kwargs:
            b_instance(model_of(route), world)


# The two walks run once per role of owner A (one test each, so that xdist spreads them over its
# workers: as one test each walk held a worker for a minute).
@pytest.mark.long(8)
@pytest.mark.parametrize("role", A_ROLES)
@pytest.mark.django_db
def test_lists_searches_and_exports_show_nothing_of_another_owner(role: str, world: Any, web: Any) -> None:
    variants = ["", "?export=csv", "?export=xlsx", f"?owner={world.b.owner.pk}", "?q=Anst", "?q=Elev", "?q=Kommun"]
    user = getattr(world.a, role)
    client = web(user)
    for route in all_routes():
        if route.kwargs and route.kwargs != ("format",):
            continue
        url = reverse(route.name)
        for variant in variants:
            response = client.get(url + variant)
            assert response.status_code < 500, f"{url}{variant} as {user}: {response.status_code}"
            assert not leaks(body_text(response), world), f"{url}{variant} as {user} shows owner B's data"


@pytest.mark.long(7)
@pytest.mark.parametrize("role", A_ROLES)
@pytest.mark.django_db
def test_objects_of_another_owner_are_not_found_by_any_method(role: str, world: Any, web: Any) -> None:
    user = getattr(world.a, role)
    for route in all_routes():
        if "pk" not in route.kwargs:
            continue
        target = b_instance(model_of(route), world)
        url = reverse(route.name, kwargs={"pk": target.pk})
        before = model_to_dict(target)
        client = web(user)
        events = AuditEvent.objects.count()
        for method in ("get", *WRITE_METHODS):
            payload = {"active": "0", "name": "hijacked", "role": "admin"}
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, payload, content_type="application/json")
            assert response.status_code in {403, 404, 405}, (
                f"{method.upper()} {url} as {user} answered {response.status_code} for owner B's object"
            )
            assert not leaks(body_text(response), world), f"{method.upper()} {url} as {user} leaks"
        assert AuditEvent.objects.count() == events, f"{url} as {user} wrote something"
        target.refresh_from_db()
        assert model_to_dict(target) == before, f"{url} changed owner B's object"


@pytest.mark.django_db
def test_posting_data_for_another_owner_creates_nothing(world: Any, web: Any) -> None:
    b = world.b
    before = owner_scoped_counts(b.owner)
    payload = {
        "owner": b.owner.pk,
        "org_unit": b.school.pk,
        "parent": b.admin_unit.pk,
        "cost_centre": b.cost_centre.pk,
        "kind": "employee",
        "first_name": "Intrång",
        "last_name": "Försök",
        "external_id": "X-1",
        "code": "X-1",
        "name": "Intrång",
        "invoice_reference": "X",
    }
    for user in a_users(world):
        client = web(user)
        for route in all_routes():
            if route.kwargs and route.kwargs != ("format",):
                continue
            url = reverse(route.name)
            for response in (client.post(url, payload), client.post(url, payload, content_type="application/json")):
                assert response.status_code < 500, f"POST {url} as {user}: {response.status_code}"
                assert not leaks(body_text(response), world)
    assert owner_scoped_counts(b.owner) == before


@pytest.mark.django_db
def test_operator_roles_see_every_owner(world: Any, web: Any) -> None:
    client = web(world.agent)
    response = client.get(reverse("person_detail", args=[world.b.employee.pk]))
    assert response.status_code == 200
    assert world.b.marker in response.content.decode()
    response = client.get(reverse("person-list"), {"owner": world.b.owner.pk})
    assert response.status_code == 200
    assert world.b.employee.pk in {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_api_fields_that_name_another_object_accept_only_the_users_own(world: Any, rf: Any) -> None:
    """A create or update may only point at objects the user can see: every related field of every
    API serializer is narrowed to the user's scope, so owner B's ids are 'not found' for owner A."""
    from rest_framework import serializers

    from samdrift.core.access import ScopedQuerySet
    from samdrift.urls import router

    def related_fields(fields: Any, prefix: str = "") -> Any:
        """Every related field, also in nested serializers and lists of them (an order's items)."""
        for name, field in fields.items():
            if isinstance(field, serializers.ListSerializer):
                field = field.child
            if isinstance(field, serializers.BaseSerializer) and hasattr(field, "fields"):
                if not field.read_only:
                    yield from related_fields(field.fields, f"{prefix}{name}.")
                continue
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            if isinstance(target, serializers.RelatedField) and not target.read_only:
                yield f"{prefix}{name}", target

    def input_serializers(viewset: Any) -> set[Any]:
        """The viewset's own serializer (when it writes) and the body of each of its actions, as
        `@action(serializer_class=...)` or drf-spectacular's `@extend_schema(request=...)` names it."""
        found = set()
        own = getattr(viewset, "serializer_class", None)
        if own is not None and (hasattr(viewset, "create") or hasattr(viewset, "update")):
            found.add(own)
        writers = [getattr(viewset, name) for name in ("create", "update") if hasattr(viewset, name)]
        for extra in [*viewset.get_extra_actions(), *writers]:
            kwargs = getattr(extra, "kwargs", None) or {}
            body = kwargs.get("serializer_class")
            # @extend_schema(request=X) keeps X in the closure of its schema's get_request_serializer.
            method = getattr(kwargs.get("schema"), "get_request_serializer", None)
            cells = dict(zip(method.__code__.co_freevars, method.__closure__ or (), strict=True)) if method else {}
            documented = cells["request"].cell_contents if "request" in cells else None
            for candidate in (body, documented):
                if isinstance(candidate, type) and issubclass(candidate, serializers.BaseSerializer):
                    found.add(candidate)
        return found

    checked = 0
    inspected: set[str] = set()
    for _prefix, viewset, _basename in router.registry:
        for serializer_class in input_serializers(viewset):
            inspected.add(serializer_class.__name__)
            for user in a_users(world):
                request = rf.post("/")
                request.user = user
                serializer = serializer_class(context={"request": request})
                serializer.fields  # noqa: B018  # the first look narrows; every later one must see the same
                fields = serializer.fields
                assert fields is serializer.fields, f"{serializer_class.__name__} builds its fields again"
                for name, target in related_fields(fields):
                    offered = target.get_queryset()
                    if not isinstance(offered, ScopedQuerySet) or not hasattr(offered.model, "OWNER_PATH"):
                        continue
                    b_rows = offered.model._default_manager.filter(**{offered.model.OWNER_PATH: world.b.owner.pk})
                    if not b_rows.exists():
                        continue
                    leaked = offered.filter(pk__in=b_rows.values("pk"))
                    assert not leaked.exists(), (
                        f"{serializer_class.__name__}.{name} accepts owner B's objects for {user}"
                    )
                    checked += 1
    # The bodies of actions and nested serializers are inspected too, not only the viewsets' own.
    assert {"OrderCreateSerializer", "MoveSerializer", "CheckOutSerializer"} <= inspected, sorted(inspected)
    assert checked >= 10, f"only {checked} related fields checked; the world lacks owner B's objects"


def test_a_serializer_made_without_a_request_offers_nothing() -> None:
    """Fail closed: no request in the context means no user, and no related object is accepted."""
    from samdrift.assets.serializers import MoveSerializer

    fields = MoveSerializer().fields
    assert not fields["person"].get_queryset().exists()
