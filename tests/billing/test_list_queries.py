"""The finance lists page with constant query counts: a full page costs what a few rows cost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samdrift.billing import actions
from samdrift.billing.models import Article

pytestmark = pytest.mark.django_db

UI = ["/billing/subscriptions/", "/billing/charges/", "/billing/articles/", "/billing/rates/", "/billing/invoices/"]
API = [
    "/api/v1/billing/subscriptions/",
    "/api/v1/billing/charges/",
    "/api/v1/billing/articles/",
    "/api/v1/billing/rates/",
    "/api/v1/billing/usage/",
    "/api/v1/billing/keys/",
]


def grow(world: Any, n: int) -> None:
    fin = world.finance
    article = Article.objects.get(code="W-KLIENT")
    for i in range(Article.objects.count(), n):
        actions.do_create_article(
            {"code": f"A{i:03d}", "name": f"Artikel {i}", "unit_code": "C62", "revenue_account": "3010"}, actor=fin
        )
    a = world.a
    for i in range(n):
        actions.do_create_subscription(
            {
                "owner": a.owner,
                "cost_centre": a.cost_centre,
                "article": article,
                "monthly_price": Decimal(100 + i),
                "start": date(2026, 1, 1),
            },
            actor=fin,
        )
        actions.do_create_charge(
            {
                "owner": a.owner,
                "cost_centre": a.cost_centre,
                "article": article,
                "description": f"Avgift {i}",
                "charge_date": date(2026, 3, 1),
                "unit_price": Decimal(10),
            },
            actor=fin,
        )


def _count(fetch: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["finance", "a.viewer"])
def test_finance_lists_do_not_query_per_row(world: Any, web: Any, api: Any, who: str) -> None:
    user = world.finance if who == "finance" else world.a.viewer
    client = web(user)
    grow(world, 3)
    for url in UI:
        client.get(url)
    few = {url: _count(lambda url=url: client.get(url)) for url in UI}
    few_api = {url: _count(lambda url=url: api(user).get(url)) for url in API}
    grow(world, 60)
    for url in UI:
        assert _count(lambda url=url: client.get(url)) == few[url], url
    for url in API:
        assert _count(lambda url=url: api(user).get(url)) == few_api[url], url
    if who == "finance":
        page = client.get("/billing/subscriptions/").context["table"].page
        assert len(page.object_list) == 50 and page.has_next
        second = _count(lambda: client.get("/billing/subscriptions/", {"cursor": page.next_cursor}))
        assert second == few["/billing/subscriptions/"]
