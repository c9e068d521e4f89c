"""One FilterSet per list, used by the UI list and the API list alike."""

from __future__ import annotations

from functools import partial
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models import (
    AgentKey,
    Asset,
    AssetAssignment,
    AssetModel,
    AssetStatus,
    Category,
    InventoryUpload,
    Manufacturer,
    Site,
    TriageDevice,
    UploadStatus,
)
from samdrift.core.pickers import SearchPicker
from samdrift.tenancy.filters import OrgUnitChoices, SearchFilterSet
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person


def _scoped(model: Any) -> Any:
    def queryset(request: Any) -> QuerySet:
        if request is None:
            return model.objects.none()
        return model.objects.for_user(request.user)

    return queryset


def _scoped_models(request: Any) -> QuerySet:
    """Models are named with their manufacturer: fetched together, not one query per option."""
    return _scoped(AssetModel)(request).select_related("manufacturer")


class ManufacturerFilter(SearchFilterSet):
    search_fields = ("name",)
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Manufacturer
        fields = ["active"]


class AssetModelFilter(SearchFilterSet):
    search_fields = ("name", "manufacturer__name")
    manufacturer = django_filters.ModelChoiceFilter(queryset=_scoped(Manufacturer), label=_("Manufacturer"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("Category"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = AssetModel
        fields = ["manufacturer", "category", "active"]


class SiteFilter(SearchFilterSet):
    search_fields = ("name", "city", "street")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Site
        fields = ["owner", "active"]


class AssetFilter(SearchFilterSet):
    search_fields = ("asset_tag", "serial_number", "hostname")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))
    # A column of the asset itself: no join can repeat a row, so no DISTINCT (django-filter's
    # default), which made PostgreSQL de-duplicate whole joined rows: 21-29 ms of an owner's
    # deployed devices at 2,500,000 assets.
    status = django_filters.MultipleChoiceFilter(choices=AssetStatus.choices, label=_("Status"), distinct=False)
    category = django_filters.ChoiceFilter(field_name="model__category", choices=Category.choices, label=_("Category"))
    manufacturer = django_filters.ModelChoiceFilter(queryset=_scoped(Manufacturer), label=_("Manufacturer"))
    model = django_filters.ModelChoiceFilter(queryset=_scoped_models, label=_("Model"))
    org_unit = django_filters.ModelChoiceFilter(queryset=_scoped(OrgUnit), label=_("Org unit"))
    cost_centre = django_filters.ModelChoiceFilter(queryset=_scoped(CostCentre), label=_("Cost centre"))
    # Found by searching, not a drop-down: an owner has thousands of people.
    assigned_to = django_filters.ModelChoiceFilter(
        queryset=_scoped(Person), label=_("Assigned to"), widget=SearchPicker("person")
    )
    site = django_filters.ModelChoiceFilter(queryset=_scoped(Site), label=_("Site"))
    supplier = django_filters.CharFilter(lookup_expr="istartswith", label=_("Supplier"))
    order_reference = django_filters.CharFilter(label=_("Order reference"))
    serial_number = django_filters.CharFilter(label=_("Serial number"))
    asset_tag = django_filters.CharFilter(label=_("Asset tag"))
    purchased_from = django_filters.DateFilter(field_name="purchase_date", lookup_expr="gte", label=_("Purchased from"))
    purchased_to = django_filters.DateFilter(field_name="purchase_date", lookup_expr="lte", label=_("Purchased until"))
    warranty_before = django_filters.DateFilter(
        field_name="warranty_end", lookup_expr="lte", label=_("Warranty ends by")
    )
    lease_before = django_filters.DateFilter(field_name="lease_end", lookup_expr="lte", label=_("Lease ends by"))
    seen_before = django_filters.DateFilter(field_name="last_seen", lookup_expr="date__lt", label=_("Not seen since"))

    class Meta:
        model = Asset
        fields = ["owner", "status", "model", "org_unit", "cost_centre", "assigned_to", "site"]

    @property
    def form(self) -> Any:
        """Cost-centre and site selects, like org units, offer few enough options to render: an
        operator of 290 owners sees some 16,000 cost centres (every visible one is accepted)."""
        if not hasattr(self, "_form"):
            form = super().form
            owner = self.data.get("owner") if self.data else None
            owner_id = int(owner) if isinstance(owner, str) and owner.isdigit() and len(owner) < 19 else None
            for name in ("cost_centre", "site"):
                field = form.fields[name]
                field.iterator = partial(OrgUnitChoices, owner_id=owner_id)
                field.depends_on_owner = True
                field.widget.choices = field.choices
        return self._form


class AssignmentFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))
    # Found by searching, not by typing a database id (and not a drop-down of thousands).
    asset = django_filters.ModelChoiceFilter(queryset=_scoped(Asset), label=_("Asset"), widget=SearchPicker("asset"))
    person = django_filters.ModelChoiceFilter(
        queryset=_scoped(Person), label=_("Person"), widget=SearchPicker("person")
    )
    cost_centre = django_filters.ModelChoiceFilter(queryset=_scoped(CostCentre), label=_("Cost centre"))
    open = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull", label=_("Current"))

    class Meta:
        model = AssetAssignment
        fields = ["owner", "asset", "person", "cost_centre"]


class AgentKeyFilter(SearchFilterSet):
    search_fields = ("name", "prefix")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))

    class Meta:
        model = AgentKey
        fields = ["owner", "active"]


class InventoryUploadFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))
    status = django_filters.ChoiceFilter(choices=UploadStatus.choices, label=_("Status"))
    device_id = django_filters.CharFilter(label=_("Agent device id"))

    class Meta:
        model = InventoryUpload
        fields = ["owner", "status", "device_id"]


class TriageDeviceFilter(SearchFilterSet):
    search_fields = ("hostname", "serial_number", "device_id")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))
    open = django_filters.BooleanFilter(field_name="resolved_asset", lookup_expr="isnull", label=_("Not handled"))

    class Meta:
        model = TriageDevice
        fields = ["owner"]
