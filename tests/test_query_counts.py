"""Lists page with constant query counts (DESIGN.md rule 6).

Every UI and API list is fetched by an operator administrator and by owner users with a few rows
and again with more rows than fit on a page (and its second page): the number of SQL queries must
not change. A list that starts to query per row (a missing select_related, a property that hits the
database, a COUNT on a deep page) fails here, long before it is slow at a million rows.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from samdrift.core.roles import Role
from samdrift.tenancy import actions
from samdrift.tenancy.demo import fictitious_orgnr
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person, User

pytestmark = pytest.mark.django_db

FEW, MANY = 5, 60  # the page holds 50: MANY needs a second page
UI_LISTS = ["/owners/", "/org-units/", "/cost-centres/", "/people/", "/users/"]
API_LISTS = ["/api/v1/owners/", "/api/v1/org-units/", "/api/v1/cost-centres/", "/api/v1/people/", "/api/v1/users/"]
VIEWERS = ["admin", "a.orderer", "a.viewer"]  # operator admin; owner users with and without pupils


def _user(world: Any, who: str) -> User:
    obj: Any = world
    for part in who.split("."):
        obj = getattr(obj, part)
    return User.objects.get(pk=obj.pk)


def add_owners(world: Any, n: int) -> None:
    """At least `n` owners, each visible to owner A's users too (they see where they hold a role)."""
    a = world.a
    roles = [(a.viewer, Role.OWNER_VIEWER), (a.orderer, Role.ORDERER), (a.approver, Role.APPROVER)]
    for i in range(Owner.objects.count(), n):
        owner = actions.do_create_owner(
            {"name": f"Kommun {i:03d}", "municipality_code": f"{8000 + i}", "org_number": fictitious_orgnr(500 + i)},
            actor=None,
        )
        for user, role in roles:
            actions.do_grant_role(user, role, owner, actor=None)


def add_people(world: Any, n: int) -> None:
    """At least `n` employees of owner A (a third as many pupils besides), with and without e-mail
    and org unit, so that every column has something to sort."""
    a = world.a
    have = Person.objects.filter(owner=a.owner, kind="employee").count()
    for i in range(have, n):
        actions.do_create_person(
            {
                "owner": a.owner,
                "kind": "employee",
                "first_name": f"Förnamn{i:03d}",
                "last_name": "Efternamn" if i % 2 else "Andersson",
                "external_id": f"X{i:03d}",
                "org_unit": a.admin_unit if i % 4 else None,
                "cost_centre": a.cost_centre,
                "email": f"person{i}@example.org" if i % 3 else "",
            },
            actor=None,
        )
        if i % 3 == 0:
            actions.do_create_person(
                {"owner": a.owner, "kind": "pupil", "first_name": f"Elev{i:03d}", "last_name": "Andersson",
                 "external_id": f"Y{i:03d}", "org_unit": a.school},
                actor=None,
            )  # fmt: skip


def grow(world: Any, n: int) -> None:
    """Make at least `n` rows of every list visible to the admin and to owner A's users."""
    a = world.a
    add_owners(world, n)
    for i in range(OrgUnit.objects.filter(owner=a.owner).count(), n):
        actions.do_create_org_unit(
            {"owner": a.owner, "parent": a.admin_unit, "code": f"U{i:03d}", "name": f"Enhet {i:03d}"}, actor=None
        )
    for i in range(CostCentre.objects.filter(owner=a.owner).count(), n):
        actions.do_create_cost_centre(
            {"owner": a.owner, "code": f"K{i:03d}", "name": f"Ställe {i:03d}", "invoice_reference": f"R{i}"},
            actor=None,
        )
    add_people(world, n)
    for i in range(User.objects.count(), n):
        user = actions.do_create_user(
            {"username": f"user{i:03d}", "first_name": "Extra", "last_name": "Test"}, actor=None
        )
        actions.do_grant_role(user, Role.END_USER, a.owner, actor=None)


def _queries(fetch: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries), response


def _ui_rows(response: Any) -> int:
    return len(response.context["table"].page.object_list)


@pytest.mark.parametrize("who", VIEWERS)
def test_ui_lists_query_count_does_not_grow_with_rows(world: Any, web: Any, who: str) -> None:
    grow(world, FEW)
    client = web(_user(world, who))
    few = {}
    for url in UI_LISTS:
        client.get(url)  # the first request of a session may set things up once
        few[url], response = _queries(lambda url=url: client.get(url))
        assert _ui_rows(response) <= FEW + 10

    grow(world, MANY)
    for url in UI_LISTS:
        many, response = _queries(lambda url=url: client.get(url))
        assert many == few[url], f"{url} as {who}: {few[url]} queries with few rows, {many} with a full page"
        page = response.context["table"].page
        if url == "/users/" and who != "admin":
            continue  # users other than admins see only themselves
        assert _ui_rows(response) == 50 and page.has_next, f"{url} as {who} should fill a page and have a next"
        second, response = _queries(lambda url=url, page=page: client.get(url, {"cursor": page.next_cursor}))
        assert second == few[url], f"{url} page 2 as {who}: {second} queries, {few[url]} on page 1"
        assert _ui_rows(response) >= 1


@pytest.mark.parametrize("who", VIEWERS)
def test_api_lists_query_count_does_not_grow_with_rows(world: Any, api: Any, who: str) -> None:
    def fetch(url: str) -> tuple[int, Any]:
        # a fresh user per request, as in production (the scope is cached on the user object)
        return _queries(lambda: api(_user(world, who)).get(url))

    grow(world, FEW)
    few = {url: fetch(url)[0] for url in API_LISTS}

    grow(world, MANY)
    for url in API_LISTS:
        many, response = fetch(url)
        assert many == few[url], f"{url} as {who}: {few[url]} queries with few rows, {many} with a full page"
        if url == "/api/v1/users/" and who != "admin":
            continue
        body = response.json()
        assert len(body["results"]) == 50 and body["next"], f"{url} as {who} should fill a page and have a next"
        second, _ = fetch(body["next"])
        assert second == few[url], f"{url} page 2 as {who}: {second} queries, {few[url]} on page 1"


def test_people_pages_follow_each_other_without_gaps_or_repeats(world: Any, web: Any) -> None:
    """Next, next, previous, previous: every person once, in order, back to the first page."""
    add_people(world, 130)
    client = web(_user(world, "admin"))
    expected = list(Person.objects.order_by("last_name", "first_name", "id").values_list("pk", flat=True))
    seen: list[int] = []
    pages = []
    cursor = None
    while True:
        response = client.get("/people/", {"cursor": cursor} if cursor else {})
        page = response.context["table"].page
        pages.append([row.record.pk for row in page.object_list])
        seen += pages[-1]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert len(pages) == -(-len(expected) // 50)
    # back again through "previous"
    for index in range(len(pages) - 2, -1, -1):
        response = client.get("/people/", {"cursor": page.previous_cursor})
        page = response.context["table"].page
        assert [row.record.pk for row in page.object_list] == pages[index]
    assert not page.has_previous


def test_sorting_by_a_column_pages_in_that_order(world: Any, web: Any) -> None:
    add_people(world, 70)
    add_owners(world, 4)
    other = Owner.objects.get(name="Kommun 003")
    actions.do_create_person({"owner": other, "first_name": "Övrig", "last_name": "Ö", "external_id": "Ö1"}, actor=None)
    client = web(_user(world, "admin"))
    up, down = (lambda p: F(p).asc(nulls_last=True)), (lambda p: F(p).desc(nulls_first=True))
    for sort, order in [
        ("-last_name", (down("last_name"), down("first_name"), down("id"))),
        ("email", (up("email"), up("id"))),
        ("org_unit", (up("org_unit__owner__name"), up("org_unit__name"), up("id"))),
        ("-org_unit", (down("org_unit__owner__name"), down("org_unit__name"), down("id"))),
        ("-owner", (down("owner__name"), down("id"))),
    ]:
        expected = list(Person.objects.order_by(*order).values_list("pk", flat=True))
        seen: list[int] = []
        cursor = None
        while True:
            params = {"sort": sort, **({"cursor": cursor} if cursor else {})}
            page = client.get("/people/", params).context["table"].page
            seen += [row.record.pk for row in page.object_list]
            if not page.has_next:
                break
            cursor = page.next_cursor
        assert seen == expected, sort


def _b64(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


BAD_CURSORS = [
    "garbage",
    "%%%",
    _b64({"o": "email,id", "d": "n", "v": ["a", 1]}),  # made for another sort order
    _b64({"o": "last_name,first_name,id", "d": "n", "v": ["a", "b", 3, 4]}),  # too many values
    _b64({"o": "last_name,first_name,id", "d": "n", "v": ["a", "b", "not a number"]}),
    _b64({"o": "last_name,first_name,id", "d": "sideways", "v": ["a", "b", 3]}),
    _b64({"o": "last_name,first_name,id", "d": "n", "v": ["a", "b", 10**30]}),
    _b64({"o": "last_name,first_name,id", "d": "n", "v": ["a\x00", "b", 1]}),
    _b64({"o": "last_name,first_name,id", "d": "p", "v": ["", "", 0]}),  # nothing before: start over
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_bad_or_foreign_cursor_shows_the_first_page(world: Any, web: Any, cursor: str) -> None:
    client = web(_user(world, "admin"))
    first = client.get("/people/").context["table"].page
    response = client.get("/people/", {"cursor": cursor})
    assert response.status_code == 200
    page = response.context["table"].page
    assert [r.record.pk for r in page.object_list] == [r.record.pk for r in first.object_list]


def test_org_unit_filter_offers_few_options_but_accepts_any_visible(world: Any, web: Any, monkeypatch: Any) -> None:
    """An operator of 290 owners sees some 13,000 org units: the filter's select offers those of
    the chosen owner instead of rendering all of them on every page."""
    from samdrift.tenancy import filters

    a, b = world.a, world.b
    # as many options as owner A has org units: all of A's fit, everyone's do not
    monkeypatch.setattr(filters, "MAX_OPTIONS", OrgUnit.objects.filter(owner=a.owner).count())
    monkeypatch.setattr(filters, "_crowded", {})
    client = web(_user(world, "admin"))

    def org_unit_options(params: dict[str, Any]) -> list[str]:
        html = client.get("/people/", params).content.decode()
        select = re.search(r'<select name="org_unit".*?</select>', html, re.S)
        assert select is not None
        return re.findall(r'<option value="([^"]*)"', select.group(0))

    assert org_unit_options({}) == [""]  # only the empty choice, labelled "choose an owner first"
    offered = org_unit_options({"owner": a.owner.pk})
    assert offered[0] == "" and str(a.school.pk) in offered and str(b.school.pk) not in offered

    # not offered, still accepted: filtering by owner B's school lists B's pupil
    response = client.get("/people/", {"owner": a.owner.pk, "org_unit": b.school.pk})
    assert response.status_code == 200
    assert [r.record.pk for r in response.context["table"].page.object_list] == []
    response = client.get("/people/", {"org_unit": b.school.pk})
    assert [r.record.pk for r in response.context["table"].page.object_list] == [b.pupil.pk]


def test_a_select_with_too_many_options_is_not_fetched_again_for_a_minute(
    world: Any, web: Any, monkeypatch: Any
) -> None:
    """Learning that there are too many org units to offer costs a fetch of MAX_OPTIONS + 1 rows;
    for a minute the same scope's select says so without fetching them again. Another scope (an
    owner chosen in the form) and a later minute fetch again."""
    from samdrift.tenancy import filters

    a = world.a
    monkeypatch.setattr(filters, "MAX_OPTIONS", OrgUnit.objects.filter(owner=a.owner).count())
    monkeypatch.setattr(filters, "_crowded", {})
    now = [1000.0]
    monkeypatch.setattr(filters.time, "monotonic", lambda: now[0])
    client = web(_user(world, "admin"))
    client.get("/people/")  # warm-up: the process's first page builds its caches

    def page(params: dict[str, Any]) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/people/", params).content.decode()
        select = re.search(r'<select name="org_unit".*?</select>', html, re.S)
        assert select is not None
        return len(ctx.captured_queries), re.findall(r'<option value="([^"]*)"', select.group(0))

    filters._crowded.clear()  # the warm-up's visit is forgotten
    first, options = page({})
    assert options == [""]
    again, options = page({})
    assert options == [""] and again == first - 1  # the org units were not fetched
    _queries, options = page({"owner": a.owner.pk})
    assert str(a.school.pk) in options  # another scope: fetched and offered
    now[0] += filters.CROWDED_SECONDS + 1
    later, options = page({})
    assert options == [""] and later == first  # a minute on: fetched again


def test_an_org_unit_select_of_a_scope_that_sees_nothing_offers_nothing(world: Any) -> None:
    """A queryset that can match nothing (`none()`) has no SQL to remember it by."""
    from django import forms

    from samdrift.tenancy import filters

    field = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), required=False)
    field.iterator = filters.OrgUnitChoices  # type: ignore[assignment]
    assert [value for value, _label in field.choices] == [""]
