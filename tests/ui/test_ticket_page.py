"""The ticket page: after every htmx action a message says what happened (in a polite live region
and as the focus target), a reply being typed survives another action re-rendering the panel, and
the timeline speaks Swedish with names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_actions_announce_themselves_and_keep_a_reply_being_typed(world: Any, web: Any) -> None:
    client = web(world.agent)
    ticket = world.a.extra["sd_ticket"]
    world.agent.first_name, world.agent.last_name = "Sven", "Lind"
    world.agent.save(update_fields=["first_name", "last_name"])

    html = client.post(
        reverse("sd_ticket_status", args=[ticket.pk]), {"status": "in_progress"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert re.search(r'<div id="ticket-live" hx-swap-oob="innerHTML">[^<]+</div>', html)
    assert "data-focus-after-swap" in html
    assert re.search(
        r'<textarea[^>]*hx-preserve="true"[^>]*id="id_body"|<textarea[^>]*id="id_body"[^>]*hx-preserve', html
    )
    timeline = re.sub(r"<[^>]+>", " ", html.split('id="timeline"')[1].split("</ol>")[0])
    assert "Sven Lind ändrade status" in timeline
    assert ("in_progress" not in timeline and "Pågår" in timeline) or "pågår" in timeline.lower()

    # The reply itself clears the box: the answer does not preserve it.
    html = client.post(
        reverse("sd_ticket_comment", args=[ticket.pk]),
        {"body": "Vi kommer i dag", "kind": "reply"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "hx-preserve" not in html and "data-focus-after-swap" in html
