"""Finance enters and corrects what is billed, in the UI and the API: articles, subscriptions,
one-time charges, pools and their keys with figures, hourly rates, usage files (dry run first).
Only finance and administrators write; an owner's viewers read their own rows; bad input changes
nothing and says why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.urls import reverse

from samdrift.billing import actions
from samdrift.billing.models import AllocationKey, Charge, CostPool, Subscription, UsageRow, WorkTypeRate
from samdrift.core.models import AuditEvent
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)


def test_finance_adds_and_edits_a_subscription_in_the_ui(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    client = web(w.finance)
    assert client.get(reverse("subscription_create")).status_code == 200
    response = client.post(
        reverse("subscription_create"),
        {
            "owner": w.a.owner.pk,
            "cost_centre": billing.cc2.pk,
            "article": billing.article.pk,
            "description": "Skärm Ö",
            "monthly_price": "89.00",
            "start": "2026-11-10",
            "end": "",
            "external_ref": "order-17",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sub = Subscription.objects.get(external_ref="order-17")
    assert response["Location"] == reverse("subscription_detail", args=[sub.pk])
    page = client.get(sub.get_absolute_url()).content.decode()
    assert "Skärm Ö" in page and reverse("subscription_edit", args=[sub.pk]) in page
    response = client.post(
        reverse("subscription_edit", args=[sub.pk]),
        {
            "cost_centre": billing.cc2.pk,
            "description": "Skärm Ö",
            "monthly_price": "99.00",
            "start": "2026-11-10",
            "end": "2026-11-20",
            "external_ref": "order-17",
        },
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.monthly_price == Decimal("99.00") and sub.end == date(2026, 11, 20)
    assert AuditEvent.objects.filter(object_type="billing.subscription", object_id=str(sub.pk)).count() == 2
    # Its history, linked from its page, shows who changed the price and from what to what.
    history = reverse("subscription_history", args=[sub.pk])
    assert history in client.get(sub.get_absolute_url()).content.decode()
    shown = client.get(history).content.decode()
    assert "89,00" in shown and "99,00" in shown, shown[shown.find("<tbody>") : shown.find("</tbody>")]
    # The owner's own viewer reads it; another owner's viewer does not learn that it exists.
    assert web(w.a.viewer).get(history).status_code == 200
    assert web(w.b.viewer).get(history).status_code == 404
    # An end before the start is refused with a message, and nothing changes.
    response = client.post(
        reverse("subscription_edit", args=[sub.pk]),
        {"cost_centre": billing.cc2.pk, "monthly_price": "99.00", "start": "2026-11-10", "end": "2026-11-01"},
    )
    assert response.status_code == 200 and "sd-error-summary" in response.content.decode()
    sub.refresh_from_db()
    assert sub.end == date(2026, 11, 20)
    listing = client.get(reverse("subscription_list"), {"owner": w.a.owner.pk}).content.decode()
    assert "Skärm Ö" in listing


def test_others_cannot_open_the_finance_screens(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    sub = Subscription.objects.filter(owner=w.a.owner).first()
    assert sub is not None
    price = sub.monthly_price
    for user in (w.a.viewer, w.agent, w.a.orderer):
        client = web(user)
        for name in ("subscription_create", "charge_create", "costpool_create", "worktyperate_create"):
            assert client.get(reverse(name)).status_code == 403, (name, user)
        assert client.post(reverse("subscription_edit", args=[sub.pk]), {"monthly_price": "1"}).status_code in {
            403,
            404,
        }
    sub.refresh_from_db()
    assert sub.monthly_price == price
    # The owner's viewer reads its own subscriptions, not the pools.
    assert web(w.a.viewer).get(sub.get_absolute_url()).status_code == 200
    assert web(w.a.viewer).get(reverse("costpool_list")).status_code == 200
    assert "Datacenter" not in web(w.a.viewer).get(reverse("costpool_list")).content.decode()


def test_charge_in_a_closed_period_cannot_be_entered_or_moved(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    actions.do_run_billing(billing.period, actor=w.finance)
    actions.do_close_period(billing.period, actor=w.finance)
    client = web(w.finance)
    data = {
        "owner": w.a.owner.pk,
        "cost_centre": w.a.cost_centre.pk,
        "article": billing.article.pk,
        "description": "Sen avgift",
        "charge_date": "2026-11-20",
        "quantity": "1",
        "unit_price": "100",
    }
    response = client.post(reverse("charge_create"), data)
    assert response.status_code == 200 and "2026-11" in response.content.decode()
    assert not Charge.objects.filter(description="Sen avgift").exists()
    response = client.post(reverse("charge_create"), {**data, "charge_date": "2026-12-02"})
    assert response.status_code == 302
    charge = Charge.objects.get(description="Sen avgift")
    assert charge.amount == Decimal("100.00")
    response = client.post(
        reverse("charge_edit", args=[charge.pk]),
        {**data, "charge_date": "2026-12-02", "quantity": "3", "unit_price": "12.50"},
    )
    assert response.status_code == 302
    charge.refresh_from_db()
    assert charge.amount == Decimal("37.50")
    billed = Charge.objects.get(description="Uppstartsavgift")  # billed in the closed November
    response = client.post(reverse("charge_edit", args=[billed.pk]), {**data, "owner": billed.owner_id})
    assert response.status_code == 200
    billed.refresh_from_db()
    assert billed.amount == Decimal("2501.00")


def test_pool_key_and_figures_in_the_ui(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    client = web(w.finance)
    response = client.post(
        reverse("costpool_create"),
        {
            "code": "NAT",
            "name": "Nätverkskärna",
            "kind": "monthly",
            "monthly_cost": "30000.00",
            "investment": "0",
            "depreciation_months": "0",
            "start": "2026-11-01",
            "revenue_account": "3094",
            "vat_category": "S",
            "vat_rate": "25",
            "active": "on",
            "sie_dimension": "6",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    pool = CostPool.objects.get(code="NAT")
    page = client.get(pool.get_absolute_url()).content.decode()
    assert reverse("allocationkey_create", args=[pool.pk]) in page
    # Fixed shares given as figures; an unknown municipality code is refused and nothing is made.
    url = reverse("allocationkey_create", args=[pool.pk])
    bad = client.post(url, {"basis": "fixed", "valid_from": "2026-11-01", "figures": "9901;2\n0000;1"})
    assert bad.status_code == 200 and "0000" in bad.content.decode()
    assert not AllocationKey.objects.filter(pool=pool).exists()
    good = client.post(url, {"basis": "fixed", "valid_from": "2026-11-01", "figures": "9901;2\n9902;1\n9903;1"})
    assert good.status_code == 302
    key = AllocationKey.objects.get(pool=pool)
    assert dict(key.figures.values_list("owner_id", "figure")) == {
        w.a.owner.pk: Decimal(2),
        w.b.owner.pk: Decimal(1),
        billing.c.pk: Decimal(1),
    }
    # Figures can be corrected while no closed period used the key.
    response = client.post(reverse("allocationkey_figures", args=[key.pk]), {"figures": "9901;1\n9902;1\n9903;2"})
    assert response.status_code == 302
    assert key.figures.get(owner=billing.c).figure == Decimal(2)
    actions.do_run_billing(billing.period, actor=w.finance)
    actions.do_close_period(billing.period, actor=w.finance)
    response = client.post(reverse("allocationkey_figures", args=[key.pk]), {"figures": "9901;5\n9902;1\n9903;2"})
    assert response.status_code == 200 and "stängd period" in response.content.decode()  # Swedish by default
    assert key.figures.get(owner=w.a.owner).figure == Decimal(1)


def test_api_writes_subscriptions_charges_keys_rates_and_usage(billing: Billing, api: Any) -> None:  # noqa: F811
    w = billing.world
    fin = api(w.finance)
    created = fin.post(
        "/api/v1/billing/subscriptions/",
        {
            "owner": w.a.owner.pk,
            "cost_centre": w.a.cost_centre.pk,
            "article": billing.article.pk,
            "monthly_price": "199.00",
            "start": "2026-11-01",
            "external_ref": "api-1",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    sub_id = created.json()["id"]
    ended = fin.patch(f"/api/v1/billing/subscriptions/{sub_id}/", {"end": "2026-11-15"}, format="json")
    assert ended.status_code == 200 and ended.json()["end"] == "2026-11-15"
    moved = fin.patch(f"/api/v1/billing/subscriptions/{sub_id}/", {"owner": w.b.owner.pk}, format="json")
    assert moved.status_code == 400
    # A cost centre of another owner is refused.
    wrong = fin.patch(f"/api/v1/billing/subscriptions/{sub_id}/", {"cost_centre": w.b.cost_centre.pk}, format="json")
    assert wrong.status_code == 400
    charge = fin.post(
        "/api/v1/billing/charges/",
        {
            "owner": w.b.owner.pk,
            "cost_centre": w.b.cost_centre.pk,
            "article": billing.article.pk,
            "description": "Installation",
            "charge_date": "2026-11-12",
            "quantity": "4",
            "unit_price": "250.00",
        },
        format="json",
    )
    assert charge.status_code == 201 and charge.json()["amount"] == "1000.00"
    pool = CostPool.objects.get(code="DC")
    key = fin.post(
        "/api/v1/billing/keys/",
        {"pool": pool.pk, "basis": "users", "valid_from": "2026-12-01", "note": "Aktiva användare"},
        format="json",
    )
    assert key.status_code == 201, key.json()
    assert {f["owner"] for f in key.json()["figures"]} >= {w.a.owner.pk, w.b.owner.pk}
    figures = fin.post(
        f"/api/v1/billing/keys/{key.json()['id']}/figures/",
        {"figures": [{"owner": w.a.owner.pk, "figure": "3"}, {"owner": w.b.owner.pk, "figure": "1"}]},
        format="json",
    )
    assert figures.status_code == 200 and len(figures.json()["figures"]) == 2
    rate = fin.post(
        "/api/v1/billing/rates/",
        {"work_type": "on_site", "article": billing.article.pk, "hourly_rate": "1200.00"},
        format="json",
    )
    assert rate.status_code == 201 and WorkTypeRate.objects.get(work_type="on_site").hourly_rate == Decimal(1200)
    csv = "owner;cost_centre;metric;quantity;unit_price\n9901;CC-AAAQX;LAGRING;10;\n9902;CC-BBBQZ;NOPE;1;\n"
    checked = fin.post("/api/v1/billing/usage/import/", {"month": "2026-11-01", "csv": csv}, format="json")
    assert checked.status_code == 400 and "NOPE" in checked.json()["errors"][0]
    good = csv.splitlines()[:2]
    dry = fin.post("/api/v1/billing/usage/import/", {"month": "2026-11-01", "csv": "\n".join(good)}, format="json")
    assert dry.status_code == 200 and dry.json() == {"rows": 1, "errors": [], "imported": 0}
    before = UsageRow.objects.count()
    done = fin.post(
        "/api/v1/billing/usage/import/",
        {"month": "2026-11-01", "csv": "\n".join(good), "dry_run": False},
        format="json",
    )
    assert done.status_code == 200 and done.json()["imported"] == 1 and UsageRow.objects.count() == before + 1
    # The owner's viewer reads its own subscriptions, writes nothing, sees no pools or rates.
    viewer = api(w.a.viewer)
    mine = viewer.get("/api/v1/billing/subscriptions/").json()["results"]
    assert mine and {s["owner"] for s in mine} == {w.a.owner.pk}
    assert viewer.get("/api/v1/billing/pools/").json()["results"] == []
    assert viewer.get("/api/v1/billing/rates/").json()["results"] == []
    assert (
        viewer.patch(f"/api/v1/billing/subscriptions/{sub_id}/", {"end": "2026-11-16"}, format="json").status_code
        == 403
    )
    assert viewer.post("/api/v1/billing/usage/import/", {"month": "2026-11-01", "csv": csv}).status_code == 403
    assert api(w.b.viewer).get(f"/api/v1/billing/subscriptions/{sub_id}/").status_code == 404
