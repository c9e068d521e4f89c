"""Public Wi-Fi zones: actions, the checklist against the common standard, and rules we can check."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.assets.actions import _pk, _role, check_same_owner
from samdrift.assets.models import (
    Asset,
    Category,
    CheckResult,
    WifiFunding,
    WifiStandardItem,
    WifiZone,
    WifiZoneCheck,
)
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType


def _check_access_points(owner_id: int | None, access_points: Any) -> None:
    for ap in access_points or []:
        if not isinstance(ap, Asset) or ap.owner_id != owner_id:
            raise ValidationError({"access_points": _("Must belong to the same owner.")})
        if ap.model.category != Category.ACCESS_POINT:
            raise ValidationError({"access_points": _("%(asset)s is not an access point.") % {"asset": ap}})


@transaction.atomic
def do_create_wifi_zone(data: dict[str, Any], *, actor: Any) -> WifiZone:
    """A new zone gets one open check per point of the standard."""
    data = dict(data)
    access_points = data.pop("access_points", None)
    owner_id = _pk(data.get("owner"))
    role = _role(actor, "site", owner_id)
    check_same_owner(owner_id, site=data.get("site"))
    _check_access_points(owner_id, access_points)
    zone = create_audited(WifiZone, data, actor=actor, role=role)
    if access_points:
        zone.access_points.set(access_points)
    WifiZoneCheck.objects.bulk_create(
        WifiZoneCheck(owner_id=zone.owner_id, zone=zone, item=item)
        for item in WifiStandardItem.objects.filter(active=True)
    )
    return zone


@transaction.atomic
def do_update_wifi_zone(zone: WifiZone, data: dict[str, Any], *, actor: Any) -> WifiZone:
    data = dict(data)
    access_points = data.pop("access_points", None)
    role = _role(actor, "site", zone.owner_id)
    check_same_owner(zone.owner_id, site=data.get("site"))
    _check_access_points(zone.owner_id, access_points)
    zone = update_audited(zone, data, actor=actor, role=role, immutable=("owner",))
    if access_points is not None:
        before = sorted(zone.access_points.values_list("pk", flat=True))
        after = sorted(a.pk for a in access_points)
        if before != after:
            zone.access_points.set(access_points)
            record_event(actor, role, AuditEventType.UPDATED, zone, changes={"access_points": [before, after]})
    return zone


@transaction.atomic
def do_set_wifi_zone_active(zone: WifiZone, active: bool, *, actor: Any) -> WifiZone:
    return set_active_audited(zone, active, actor=actor, role=_role(actor, "site", zone.owner_id))


@transaction.atomic
def do_record_wifi_check(check: WifiZoneCheck, result: str, note: str = "", *, actor: Any) -> WifiZoneCheck:
    role = _role(actor, "site", check.owner_id)
    if result not in CheckResult.values:
        raise ValidationError({"result": _("Unknown result.")})
    changes = {}
    if check.result != result:
        changes["result"] = [check.result, result]
    if check.note != note:
        changes["note"] = [check.note, note]
    if not changes:
        return check
    check.result, check.note, check.checked_at = result, note, timezone.now()
    check.save(update_fields=["result", "note", "checked_at"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        check,
        changes=changes,
        extra={"action": "wifi_check", "zone": check.zone_id},
    )
    return check


def rule_findings(zone: WifiZone, today: date) -> list[str]:
    """What the zone's own data shows against rules we know (WiFi4EU: free, no ads, three years)."""
    findings = []
    if zone.funding == WifiFunding.WIFI4EU:
        if zone.operating_from is None:
            findings.append(_("WiFi4EU: the start of operation is not recorded."))
        elif zone.operating_until is not None and (zone.operating_until - zone.operating_from).days < 3 * 365:
            findings.append(_("WiFi4EU: the zone must be operated for at least three years."))
        if "wifi4eu" not in zone.ssids.lower():
            findings.append(_("WiFi4EU: the network must be named WiFi4EU."))
    if zone.authentication == "open_portal" and not zone.portal_terms_version:
        findings.append(_("The captive portal's terms version is not recorded."))
    if zone.log_retention_days is None:
        findings.append(_("Log retention is not recorded."))
    return findings


@transaction.atomic
def do_create_wifi_standard_item(data: dict[str, Any], *, actor: Any) -> WifiStandardItem:
    """A new point of the standard; every zone gets an open check for it."""
    item = create_audited(WifiStandardItem, data, actor=actor, role=_role(actor, "catalogue", None))
    WifiZoneCheck.objects.bulk_create(
        WifiZoneCheck(owner_id=owner_id, zone_id=zone_id, item=item)
        for zone_id, owner_id in WifiZone.objects.values_list("pk", "owner_id")
    )
    return item


@transaction.atomic
def do_update_wifi_standard_item(item: WifiStandardItem, data: dict[str, Any], *, actor: Any) -> WifiStandardItem:
    return update_audited(item, data, actor=actor, role=_role(actor, "catalogue", None), immutable=("code",))


@transaction.atomic
def do_set_wifi_standard_item_active(item: WifiStandardItem, active: bool, *, actor: Any) -> WifiStandardItem:
    return set_active_audited(item, active, actor=actor, role=_role(actor, "catalogue", None))
