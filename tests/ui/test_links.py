"""Every link a role is shown opens for it: the demo's twelve logins each walk their navigation,
one object page per list and the pages those link to, and no page answers 4xx or 5xx."""

from __future__ import annotations

import pytest
from django.test import Client

from samdrift.tenancy.demo import DEMO_LOGINS
from samdrift.tenancy.models import User
from tests.ui.crawl import crawl


@pytest.mark.long(30)
def test_every_link_shown_to_a_role_opens_for_it(demo_data: None) -> None:
    broken = []
    for login in DEMO_LOGINS:
        client = Client()
        client.force_login(User.objects.get(username=login.username))

        def fetch(path: str, client: Client = client) -> tuple[int, str]:
            response = client.get(path)
            body = response.content.decode(errors="replace") if "html" in response.get("Content-Type", "") else ""
            return response.status_code, body

        for visit in crawl(fetch, ["/"], depth=3):
            if visit.status >= 400:
                broken.append((login.username, visit.path, visit.status, visit.referrer))
    assert broken == [], "\n".join(f"{u}: {p} → {s} (linked from {r})" for u, p, s, r in broken)
