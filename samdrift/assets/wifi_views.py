"""Public Wi-Fi zone pages: the register, the common standard, and each zone's checklist."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.assets import wifi
from samdrift.assets.filters import _scoped
from samdrift.assets.models import (
    Category,
    CheckResult,
    WifiAuthentication,
    WifiFunding,
    WifiStandardItem,
    WifiZone,
    WifiZoneCheck,
)
from samdrift.assets.permissions import may_write
from samdrift.assets.tables import _attrs
from samdrift.assets.views import AssetsAction
from samdrift.core.crud import ModelViews
from samdrift.core.views import ScopedDetailView, ScopedModelForm
from samdrift.tenancy.filters import SearchFilterSet
from samdrift.tenancy.models import Owner
from samdrift.tenancy.tables import YES_NO


class WifiZoneFilter(SearchFilterSet):
    search_fields = ("name", "ssids")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=gettext_lazy("Owner"))
    authentication = django_filters.ChoiceFilter(
        choices=WifiAuthentication.choices, label=gettext_lazy("Authentication")
    )
    funding = django_filters.ChoiceFilter(choices=WifiFunding.choices, label=gettext_lazy("Funding"))
    failing = django_filters.BooleanFilter(method="filter_failing", label=gettext_lazy("Fails the standard"))
    active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = WifiZone
        fields = ["owner", "authentication", "funding", "outdoor", "active"]

    def filter_failing(self, queryset: Any, name: str, value: bool) -> Any:
        failing = WifiZoneCheck.objects.filter(result=CheckResult.FAIL).values("zone_id")
        return queryset.filter(pk__in=failing) if value else queryset.exclude(pk__in=failing)


class WifiStandardFilter(SearchFilterSet):
    search_fields = ("code", "text")

    class Meta:
        model = WifiStandardItem
        fields = ["active"]


class WifiZoneTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=gettext_lazy("Active"), yesno=YES_NO)

    class Meta:
        model = WifiZone
        fields = ("name", "owner", "site", "ssids", "authentication", "funding", "operating_until", "active")
        attrs = _attrs(WifiZone)


class WifiStandardTable(tables.Table):
    code = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=gettext_lazy("Active"), yesno=YES_NO)

    class Meta:
        model = WifiStandardItem
        fields = ("code", "text", "active")
        attrs = _attrs(WifiStandardItem)


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ZONE_FIELDS = [
    "owner",
    "name",
    "site",
    "outdoor",
    "latitude",
    "longitude",
    "ssids",
    "authentication",
    "portal_terms_version",
    "access_points",
    "backhaul",
    "funding",
    "funding_obligations",
    "operating_from",
    "operating_until",
    "log_retention_days",
]


class WifiZoneForm(ScopedModelForm):
    class Meta:
        model = WifiZone
        fields = ZONE_FIELDS
        widgets = {
            "operating_from": DATE,
            "operating_until": DATE,
            "funding_obligations": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["access_points"]
        field.queryset = field.queryset.filter(model__category=Category.ACCESS_POINT)  # type: ignore[attr-defined]


class WifiZoneEditForm(WifiZoneForm):
    class Meta(WifiZoneForm.Meta):
        fields = [f for f in ZONE_FIELDS if f != "owner"]


class WifiStandardForm(ScopedModelForm):
    class Meta:
        model = WifiStandardItem
        fields = ["code", "text"]


class WifiZoneDetailPage(ScopedDetailView):
    template_name = "assets/wifizone_detail.html"
    detail_fields = (*(f for f in ZONE_FIELDS if f != "access_points"), "active")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        zone = self.object
        checks = list(WifiZoneCheck.objects.filter(zone=zone).select_related("item").order_by("item__code"))
        context["checks"] = checks
        context["failing"] = [c for c in checks if c.result == CheckResult.FAIL]
        context["findings"] = wifi.rule_findings(zone, timezone.localdate())
        context["access_points"] = zone.access_points.select_related("model").order_by("asset_tag")
        context["results"] = CheckResult.choices
        context["may_check"] = may_write(self.request.user, "site", zone.owner_id)
        return context


wifi_zones = ModelViews(
    WifiZone,
    "assets/wifi-zones",
    thing="site",
    may_write=may_write,
    list={
        "table_class": WifiZoneTable,
        "filterset_class": WifiZoneFilter,
        "select_related": ("owner", "site"),
        "title": gettext_lazy("Public Wi-Fi zones"),
        "export_fields": (
            "owner__name",
            "name",
            "ssids",
            "authentication",
            "funding",
            "operating_from",
            "operating_until",
        ),
    },
    detail=WifiZoneDetailPage,
    form={"form_class": WifiZoneForm},
    edit_form_class=WifiZoneEditForm,
    create_action=wifi.do_create_wifi_zone,
    update_action=wifi.do_update_wifi_zone,
    active_action=wifi.do_set_wifi_zone_active,
)

wifi_standard = ModelViews(
    WifiStandardItem,
    "assets/wifi-standard",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": WifiStandardTable,
        "filterset_class": WifiStandardFilter,
        "title": gettext_lazy("Wi-Fi standard"),
    },
    detail={"detail_fields": ("code", "text", "active")},
    form={"form_class": WifiStandardForm},
    create_action=wifi.do_create_wifi_standard_item,
    update_action=wifi.do_update_wifi_standard_item,
    active_action=wifi.do_set_wifi_standard_item_active,
)

WifiZoneList, WifiZoneDetail, WifiZoneFormView, WifiZoneActive, WifiZoneHistory = wifi_zones.views()
WifiStandardList, WifiStandardDetail, WifiStandardFormView, WifiStandardActive, WifiStandardHistory = (
    wifi_standard.views()
)


class RecordCheck(AssetsAction):
    """One item of a zone's Wi-Fi checklist: its result and a note; back to the zone."""

    model = WifiZoneCheck
    thing = "site"

    def perform(self, check: WifiZoneCheck, data: dict[str, Any]) -> Any:
        result = self.request.POST.get("result", "")
        note = self.request.POST.get("note", "")[:300]
        wifi.do_record_wifi_check(check, result, note, actor=self.request.user)
        return _("Checklist updated.")

    def redirect_url(self, check: WifiZoneCheck) -> str:
        return str(check.zone.get_absolute_url())
