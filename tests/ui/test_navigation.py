"""The main menu is grouped by capability and shows each role only what it may use; end users get
the portal's own short menu; the desk's queue opens on open tickets with a skip link to the first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from samdrift.core.context_processors import NAV, add_nav, navigation
from samdrift.servicedesk.models import OPEN_STATUSES, Ticket


def _nav(user: Any) -> dict[str, Any]:
    request = RequestFactory().get("/")
    request.user = user
    return navigation(request)


@pytest.mark.django_db
def test_the_administrator_gets_the_menu_in_capability_groups(world: Any) -> None:
    nav = _nav(world.admin)
    keys = [group["key"] for group in nav["nav_groups"]]
    assert keys == ["servicedesk", "assets", "ordering", "finance", "records", "administration"]
    by_group = {group["key"]: [item["url"] for item in group["items"]] for group in nav["nav_groups"]}
    assert reverse("sd_ticket_list") in by_group["servicedesk"]
    assert reverse("asset_list") in by_group["assets"]
    assert reverse("invoice_list") in by_group["finance"]
    assert reverse("person_list") in by_group["administration"]
    assert all(len(items) <= 12 for items in by_group.values())


@pytest.mark.django_db
def test_every_menu_entry_opens_for_the_role_it_is_shown_to(world: Any, web: Any) -> None:
    for user in (world.admin, world.agent, world.finance, world.records, world.a.viewer, world.a.end_user):
        client = web(user)
        for item in _nav(user)["nav"]:
            assert client.get(item["url"]).status_code == 200, (user.username, item["url"])


@pytest.mark.django_db
def test_an_end_user_gets_the_portal_menu_and_no_api_docs(world: Any, web: Any) -> None:
    nav = _nav(world.a.end_user)
    assert nav["portal_nav"] is True and nav["nav_groups"] == []
    assert [item["url"] for item in nav["nav"]][:2] == [reverse("sd_portal"), reverse("my_devices")]
    html = web(world.a.end_user).get(reverse("sd_portal")).content.decode()
    assert reverse("api_docs") not in html
    assert reverse("api_docs") in web(world.agent).get(reverse("home")).content.decode()


def test_add_nav_takes_a_group() -> None:
    before = list(NAV)
    try:
        add_nav("sd_report", "x", {"admin"}, group="records")
        from samdrift.core.context_processors import group_of

        assert group_of("sd_report") == "records"
    finally:
        NAV[:] = before
        from samdrift.core.context_processors import NAV_GROUPS

        NAV_GROUPS.pop("sd_report", None)


@pytest.mark.django_db
def test_the_queue_opens_on_open_tickets_for_the_desk_only(world: Any, web: Any) -> None:
    closed = Ticket.objects.filter(owner=world.a.owner).first()
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    html = web(world.agent).get(reverse("sd_ticket_list")).content.decode()
    assert 'aria-current="page">Alla öppna' in html or re.search(r'aria-current="page">[^<]*öppna', html)
    assert closed.number not in html
    assert "Hoppa till första ärendet" in html
    first = re.search(r'href="#ticket-(\d+)"', html)
    assert first and f'id="ticket-{first.group(1)}"' in html
    assert closed.number in web(world.agent).get(reverse("sd_ticket_list") + "?queue=").content.decode()
    owner_view = web(world.a.viewer).get(reverse("sd_ticket_list")).content.decode()
    assert "?queue=mine" not in owner_view
    assert set(Ticket.objects.exclude(status__in=OPEN_STATUSES).values_list("status", flat=True)) <= {
        "closed",
        "resolved",
    }


@pytest.mark.django_db
def test_the_portal_shows_help_articles_as_articles_and_devices_as_cards(world: Any, web: Any) -> None:
    client = web(world.a.end_user)
    listing = client.get(reverse("sd_article_list")).content.decode()
    assert "<table" not in listing
    assert "<article" in listing or "Det finns inga hjälpartiklar" in listing
    found = re.search(r'href="(/servicedesk/articles/\d+/)"', listing)
    if found:
        page = client.get(found.group(1)).content.decode()
        assert "<article" in page and "<dl" not in page
    devices = client.get(reverse("my_devices")).content.decode()
    assert "<table" not in devices
    # staff keep the table
    assert "<table" in web(world.agent).get(reverse("sd_article_list")).content.decode()


@pytest.mark.django_db
def test_an_empty_list_says_so(world: Any, web: Any) -> None:
    html = web(world.agent).get(reverse("sd_ticket_list"), {"q": "finns-inte-alls-xyz"}).content.decode()
    assert "Inget matchar filtren." in html
