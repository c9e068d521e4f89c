"""Asset pages and API: lists with filters at constant query counts, the asset page with its
history, labels with a QR code, check-out and the end user's receipt, bulk actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from samdrift.assets import actions
from samdrift.assets.models import Asset, AssetAssignment, AssetStatus
from samdrift.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def make_assets(world: Any, n: int, prefix: str) -> list[Asset]:
    return [
        actions.do_create_asset(
            {
                "owner": world.a.owner,
                "asset_tag": f"{prefix}-{i}",
                "model": world.a.extra["asset_model"],
                "cost_centre": world.a.cost_centre,
                "site": world.a.extra["site"],
            },
            actor=None,
        )
        for i in range(n)
    ]


def test_asset_list_filters_and_keeps_a_constant_query_count(
    world: Any, web: Any, django_assert_max_num_queries: Any
) -> None:
    client = web(world.technician)
    make_assets(world, 3, "Q")
    url = reverse("asset_list")
    client.get(url)  # the first request of a session stamps its start (core/security.py): not the list's cost
    with django_assert_max_num_queries(14) as few:
        assert client.get(url).status_code == 200
    make_assets(world, 30, "R")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert "R-29" in response.content.decode()
    filtered = client.get(url, {"status": "deployed", "owner": world.a.owner.pk, "category": "laptop"}).content.decode()
    assert f"T-{world.a.marker}" in filtered and "R-29" not in filtered
    assert "Q-1" in client.get(url, {"q": "Q-1"}).content.decode()
    for params in (
        {"cost_centre": world.a.cost_centre.pk},
        {"site": world.a.extra["site"].pk},
        {"warranty_before": "2030-01-01"},
    ):
        assert client.get(url, params).status_code == 200


def test_api_list_filters_and_keeps_a_constant_query_count(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    client = api(world.technician)
    make_assets(world, 3, "Q")
    with django_assert_max_num_queries(8) as few:
        assert client.get("/api/v1/assets/").status_code == 200
    before = Asset.objects.count()
    make_assets(world, 20, "R")
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = client.get("/api/v1/assets/", {"page_size": 100}).json()
    assert len(data["results"]) == before + 20
    data = client.get("/api/v1/assets/", {"status": "deployed"}).json()
    assert {r["asset_tag"] for r in data["results"]} == {f"T-{world.a.marker}", f"T-{world.b.marker}"}
    viewer = api(world.a.viewer).get("/api/v1/assets/").json()
    assert all(r["owner"] == world.a.owner.pk for r in viewer["results"])


def test_asset_page_shows_its_whole_history(world: Any, web: Any) -> None:
    asset = world.a.extra["asset"]
    actions.do_check_in_asset(asset, actor=world.technician)
    response = web(world.technician).get(reverse("asset_detail", args=[asset.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert str(world.a.end_user.person) in text and "Återlämnad" in text and "check_in" not in text
    assert reverse("asset_label", args=[asset.pk]) in text
    history = web(world.technician).get(reverse("asset_history", args=[asset.pk])).content.decode()
    assert history.count("<tr>") >= 3


def test_label_has_an_inline_qr_code_linking_to_the_asset(world: Any, web: Any) -> None:
    asset = world.a.extra["asset"]
    text = web(world.a.viewer).get(reverse("asset_label", args=[asset.pk])).content.decode()
    assert "<svg" in text and asset.asset_tag in text
    assert f"http://testserver/assets/{asset.pk}/" in text


def test_check_out_in_the_ui_and_the_end_user_confirms_in_my_devices(world: Any, web: Any) -> None:
    asset = make_assets(world, 1, "C")[0]
    tech = web(world.technician)
    assert tech.get(reverse("asset_check_out", args=[asset.pk])).status_code == 200
    response = tech.post(reverse("asset_check_out", args=[asset.pk]), {"person": world.a.end_user.person_id})
    assert response.status_code == 302
    assignment = AssetAssignment.objects.get(asset=asset, ended_at__isnull=True)
    assert assignment.person_id == world.a.end_user.person_id

    portal = web(world.a.end_user)
    page = portal.get(reverse("my_devices")).content.decode()
    assert "C-0" in page and reverse("assignment_accept", args=[assignment.pk]) in page
    assert portal.post(reverse("assignment_accept", args=[assignment.pk])).status_code == 302
    assignment.refresh_from_db()
    assert assignment.accepted_at is not None
    assert AuditEvent.objects.order_by("-id").first().extra["action"] == "accept"  # type: ignore[union-attr]
    # Another end user cannot confirm it.
    assert web(world.b.end_user).post(reverse("assignment_accept", args=[assignment.pk])).status_code == 404


def test_bulk_status_and_labels_from_the_list(world: Any, web: Any) -> None:
    assets = make_assets(world, 3, "K")
    ids = [a.pk for a in assets]
    client = web(world.technician)
    response = client.post(reverse("asset_bulk"), {"ids": ids, "operation": "status", "status": "in_repair"})
    assert response.status_code == 302
    assert set(Asset.objects.filter(pk__in=ids).values_list("status", flat=True)) == {AssetStatus.IN_REPAIR}
    labels = client.post(reverse("asset_bulk"), {"ids": ids, "operation": "labels"}).content.decode()
    assert labels.count("<svg") == 3
    # A viewer may print labels but not change anything.
    viewer = web(world.a.viewer)
    assert viewer.post(reverse("asset_bulk"), {"ids": ids, "operation": "status", "status": "lost"}).status_code == 403


def test_api_lifecycle_endpoints(world: Any, api: Any) -> None:
    client = api(world.technician)
    created = client.post(
        "/api/v1/assets/",
        {"owner": world.a.owner.pk, "asset_tag": "API-1", "model": world.a.extra["asset_model"].pk, "price": "1234.50"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    out = client.post(f"/api/v1/assets/{pk}/check-out/", {"person": world.a.pupil.pk}, format="json")
    assert out.status_code == 200 and out.json()["person"] == world.a.pupil.pk
    refused = client.post(f"/api/v1/assets/{pk}/status/", {"status": "recycled"}, format="json")
    assert refused.status_code == 400 and "status" in refused.json()
    assert client.post(f"/api/v1/assets/{pk}/check-in/").json()["status"] == "in_stock"
    moved = client.post(f"/api/v1/assets/{pk}/move/", {"cost_centre": world.a.cost_centre.pk}, format="json")
    assert moved.status_code == 200
    history = client.get("/api/v1/asset-assignments/", {"asset": pk}).json()["results"]
    assert len(history) == 4 and sum(1 for h in history if h["ended_at"] is None) == 1
    bulk = client.post("/api/v1/assets/bulk-status/", {"ids": [pk], "status": "returned"}, format="json")
    assert bulk.status_code == 200 and bulk.json()[0]["status"] == "returned"
    # Owner users can read but not act; the pupil's history is visible to the orderer.
    assert api(world.a.viewer).post(f"/api/v1/assets/{pk}/check-in/").status_code == 403
    pupil_history = api(world.a.orderer).get("/api/v1/asset-assignments/", {"person": world.a.pupil.pk}).json()
    assert {h["asset"] for h in pupil_history["results"]} == {pk}


def test_stale_devices_per_owner(world: Any, web: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    asset = world.a.extra["asset"]
    Asset.objects.filter(pk=asset.pk).update(last_seen=timezone.now() - timedelta(days=45))
    client = web(world.a.viewer)
    text = client.get(reverse("asset_stale")).content.decode()
    assert asset.asset_tag in text
    assert asset.asset_tag not in client.get(reverse("asset_stale"), {"days": "60"}).content.decode()


def test_register_an_asset_and_an_agent_key_through_the_ui(world: Any, web: Any) -> None:
    client = web(world.admin)
    assert client.get(reverse("asset_create")).status_code == 200
    response = client.post(
        reverse("asset_create"),
        {
            "owner": world.a.owner.pk,
            "asset_tag": "UI-1",
            "model": world.a.extra["asset_model"].pk,
            "status": "in_stock",
            "price": "12499.00",
            "purchase_date": "2026-09-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    asset = Asset.objects.get(asset_tag="UI-1")
    assert str(asset.price) == "12499.00"
    refused = client.post(
        reverse("asset_create"),
        {
            "owner": world.a.owner.pk,
            "asset_tag": "UI-2",
            "model": world.a.extra["asset_model"].pk,
            "status": "in_stock",
            "cost_centre": world.b.cost_centre.pk,
        },
    )
    assert refused.status_code == 200 and not Asset.objects.filter(asset_tag="UI-2").exists()

    page = client.post(reverse("agentkey_create"), {"owner": world.a.owner.pk, "name": "Skolor"}).content.decode()
    assert "/inventory/" in page
    assert web(world.technician).get(reverse("agentkey_create")).status_code == 403


def test_triage_page_registers_the_device(world: Any, web: Any) -> None:
    device = world.a.extra["triage"]
    client = web(world.technician)
    page = client.get(reverse("triagedevice_detail", args=[device.pk])).content.decode()
    assert reverse("triagedevice_create_asset", args=[device.pk]) in page
    response = client.post(
        reverse("triagedevice_create_asset", args=[device.pk]),
        {"asset_tag": "TRI-1", "model": world.a.extra["asset_model"].pk},
    )
    assert response.status_code == 302
    asset = Asset.objects.get(asset_tag="TRI-1")
    assert asset.hostname == f"host-{world.a.marker}" and asset.memory_mb == 8192
    upload = client.get(reverse("inventoryupload_detail", args=[world.a.extra["upload"].pk])).content.decode()
    assert "&lt;DEVICEID&gt;" in upload


def test_triage_is_refused_to_who_may_not_resolve_and_a_bad_form_comes_back(world: Any, web: Any) -> None:
    device = world.a.extra["triage"]
    create = reverse("triagedevice_create_asset", args=[device.pk])
    link = reverse("triagedevice_link", args=[device.pk])
    # Finance sees unmatched devices but may not resolve them; owner users do not see them at all.
    assert (
        web(world.finance).post(create, {"asset_tag": "TRI-X", "model": world.a.extra["asset_model"].pk}).status_code
        == 403
    )
    assert web(world.finance).post(link, {"asset_tag": world.a.extra["asset"].asset_tag}).status_code == 403
    assert web(world.a.viewer).post(link, {"asset_tag": world.a.extra["asset"].asset_tag}).status_code == 404
    client = web(world.technician)
    response = client.post(create, {"asset_tag": "TRI-X"})
    assert response.status_code == 400 and 'name="model"' in response.content.decode()
    response = client.post(link, {"asset_tag": "NO-SUCH-TAG"})
    assert response.status_code == 400
    device.refresh_from_db()
    assert device.resolved_asset_id is None and not Asset.objects.filter(asset_tag="TRI-X").exists()


def test_a_pupils_name_is_hidden_from_those_who_may_not_see_pupils(world: Any, web: Any) -> None:
    laptop = make_assets(world, 1, "P")[0]
    actions.do_check_out_asset(laptop, world.a.pupil, actor=world.technician)
    name = str(world.a.pupil)
    for user, sees in ((world.a.viewer, False), (world.a.orderer, True), (world.technician, True)):
        client = web(user)
        for url in (reverse("asset_list"), reverse("asset_detail", args=[laptop.pk]), reverse("assetassignment_list")):
            assert (name in client.get(url).content.decode()) is sees, (user, url)
