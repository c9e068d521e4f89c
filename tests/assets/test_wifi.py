"""Public Wi-Fi zones: checked against the common standard (an editable checklist), with the
failing points and the WiFi4EU obligations shown."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from samdrift.assets import actions, wifi
from samdrift.assets.models import WifiStandardItem, WifiZone, WifiZoneCheck
from samdrift.core.access import access_object
from samdrift.core.models import AuditEvent, AuditEventType

pytestmark = pytest.mark.django_db


def test_a_new_zone_gets_the_whole_standard_and_failing_points_show(world: Any, web: Any) -> None:
    zone = world.a.extra["wifi_zone"]
    assert WifiZoneCheck.objects.filter(zone=zone).count() == WifiStandardItem.objects.count()
    check = world.a.extra["wifi_check"]
    wifi.do_record_wifi_check(check, "fail", "Gästnätet når skrivarna", actor=world.technician)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.event_type == AuditEventType.UPDATED and event.extra["action"] == "wifi_check"
    assert event.changes["result"] == ["not_checked", "fail"]
    page = web(world.a.viewer).get(reverse("wifizone_detail", args=[zone.pk])).content.decode()
    assert "Gästnätet når skrivarna" in page and "table-danger" in page
    listed = web(world.a.viewer).get(reverse("wifizone_list"), {"failing": "true"}).content.decode()
    assert zone.name in listed


@translation.override("en")
def test_wifi4eu_obligations_are_checked_from_the_zones_data(world: Any) -> None:
    zone = world.a.extra["wifi_zone"]
    findings = wifi.rule_findings(zone, date(2026, 11, 26))
    assert any("three years" in f or "start" in f for f in findings)
    zone = wifi.do_update_wifi_zone(
        zone,
        {
            "operating_from": date(2026, 1, 1),
            "operating_until": date(2027, 1, 1),
            "portal_terms_version": "2026-1",
            "log_retention_days": 30,
        },
        actor=world.technician,
    )
    assert wifi.rule_findings(zone, date(2026, 11, 26)) == [
        "WiFi4EU: the zone must be operated for at least three years."
    ]


def test_access_points_must_be_the_owners_access_points(world: Any) -> None:
    zone = world.a.extra["wifi_zone"]
    with pytest.raises(ValidationError):
        wifi.do_update_wifi_zone(zone, {"access_points": [world.a.extra["asset"]]}, actor=world.technician)  # a laptop
    maker = world.a.extra["manufacturer"]
    ap_model = actions.do_create_asset_model(
        {"manufacturer": maker, "name": "AP 1", "category": "access_point"}, actor=world.admin
    )
    ap = actions.do_create_asset({"owner": world.a.owner, "asset_tag": "AP-1", "model": ap_model}, actor=world.admin)
    wifi.do_update_wifi_zone(zone, {"access_points": [ap]}, actor=world.technician)
    assert list(zone.access_points.all()) == [ap]
    assert AuditEvent.objects.order_by("-id").first().changes == {"access_points": [[], [ap.pk]]}  # type: ignore[union-attr]


def test_only_staff_record_checks_and_other_owners_see_nothing(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        wifi.do_record_wifi_check(world.a.extra["wifi_check"], "pass", actor=world.a.viewer)
    for model, key in ((WifiZone, "wifi_zone"), (WifiZoneCheck, "wifi_check"), (WifiStandardItem, "wifi_standard")):
        with pytest.raises(Http404):
            access_object(model, world.a.viewer, world.b.extra[key].pk)


def test_checklist_page_records_for_staff_and_refuses_owner_users(world: Any, web: Any) -> None:
    check = world.a.extra["wifi_check"]
    url = reverse("wifizonecheck_record", args=[check.pk])
    assert web(world.a.viewer).post(url, {"result": "pass"}).status_code == 403
    assert WifiZoneCheck.objects.get(pk=check.pk).result == check.result
    response = web(world.technician).post(url, {"result": "fail", "note": "Trasig"})
    assert response.status_code == 302 and response["Location"] == check.zone.get_absolute_url()
    assert WifiZoneCheck.objects.get(pk=check.pk).result == "fail"


def test_zones_through_the_api_with_checks_and_constant_queries(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    client = api(world.technician)
    a = world.a
    response = client.post(
        "/api/v1/wifi-zones/",
        {
            "owner": a.owner.pk,
            "name": "Biblioteket",
            "ssids": "Gäst",
            "authentication": "open_portal",
            "funding": "own",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    zone_id = response.json()["id"]
    assert len(response.json()["checks"]) == 0 or response.json()["checks"]  # created before the checks were read
    detail = client.get(f"/api/v1/wifi-zones/{zone_id}/").json()
    assert {c["item_code"] for c in detail["checks"]} == set(WifiStandardItem.objects.values_list("code", flat=True))
    item = WifiStandardItem.objects.get(code="WS-1")
    response = client.post(
        f"/api/v1/wifi-zones/{zone_id}/check/", {"item": item.pk, "result": "fail", "note": "Öppet"}, format="json"
    )
    assert response.status_code == 200 and response.json()["result"] == "fail"
    failing = client.get("/api/v1/wifi-zones/", {"failing": "true"}).json()["results"]
    assert [z["id"] for z in failing] == [zone_id]
    # Owner B's viewer does not see A's zones; A's viewer cannot record a check.
    assert api(world.b.viewer).get(f"/api/v1/wifi-zones/{zone_id}/").status_code == 404
    refused = api(a.viewer).post(
        f"/api/v1/wifi-zones/{zone_id}/check/", {"item": item.pk, "result": "pass"}, format="json"
    )
    assert refused.status_code == 403
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/wifi-zones/")
    for i in range(5):
        wifi.do_create_wifi_zone(
            {"owner": a.owner, "name": f"Zon {i}", "ssids": "G", "authentication": "open_portal"}, actor=None
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/wifi-zones/")
