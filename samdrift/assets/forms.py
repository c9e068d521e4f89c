from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models import (
    AgentKey,
    Asset,
    AssetModel,
    AssetStatus,
    Manufacturer,
    Site,
)
from samdrift.core.access import ScopedQuerySet
from samdrift.core.forms import bootstrapify
from samdrift.core.pickers import SearchPicker
from samdrift.core.views import ScopedModelForm
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ManufacturerForm(ScopedModelForm):
    class Meta:
        model = Manufacturer
        fields = ["name", "aliases"]


class AssetModelForm(ScopedModelForm):
    class Meta:
        model = AssetModel
        fields = [
            "manufacturer",
            "name",
            "category",
            "expected_lifetime_months",
            "list_price",
            "co2e_kg",
            "co2e_source",
        ]
        help_texts = {"co2e_kg": _("Left empty, the factor for the category is taken from the reference file.")}


class AssetModelEditForm(AssetModelForm):
    class Meta(AssetModelForm.Meta):
        fields = [f for f in AssetModelForm.Meta.fields if f != "manufacturer"]


class SiteForm(ScopedModelForm):
    class Meta:
        model = Site
        fields = ["owner", "name", "street", "postcode", "city", "latitude", "longitude"]


class SiteEditForm(SiteForm):
    class Meta(SiteForm.Meta):
        fields = [f for f in SiteForm.Meta.fields if f != "owner"]


ASSET_FIELDS = [
    "owner",
    "asset_tag",
    "model",
    "serial_number",
    "status",
    "org_unit",
    "cost_centre",
    "site",
    "purchase_date",
    "price",
    "supplier",
    "order_reference",
    "warranty_end",
    "lease_end",
    "notes",
]


class AssetForm(ScopedModelForm):
    class Meta:
        model = Asset
        fields = ASSET_FIELDS
        widgets = {
            "purchase_date": DATE,
            "warranty_end": DATE,
            "lease_end": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _models_with_manufacturer(self)
        if "status" in self.fields:
            self.fields["status"].choices = [  # type: ignore[attr-defined]
                (AssetStatus.IN_STOCK, AssetStatus.IN_STOCK.label),
                (AssetStatus.ORDERED, AssetStatus.ORDERED.label),
            ]


class AssetEditForm(AssetForm):
    class Meta(AssetForm.Meta):
        fields = [f for f in ASSET_FIELDS if f not in {"owner", "status"}]


def _models_with_manufacturer(form: forms.BaseForm) -> None:
    """A model is named with its manufacturer: fetch both in one query, not one per option."""
    field = form.fields.get("model")
    if isinstance(field, forms.ModelChoiceField):
        field.queryset = field.queryset.select_related("manufacturer")  # type: ignore[union-attr]


def _scope_choices(form: forms.Form, user: Any) -> None:
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and isinstance(field.queryset, ScopedQuerySet):
            field.queryset = field.queryset.for_user(user)
    _models_with_manufacturer(form)
    bootstrapify(form)


class UserForm(forms.Form):
    """A plain form whose object choices are limited to what the user may see."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _scope_choices(self, user)


class CheckOutForm(UserForm):
    person = forms.ModelChoiceField(
        Person.objects.filter(active=True), label=_("Person"), widget=SearchPicker("person")
    )
    cost_centre = forms.ModelChoiceField(
        CostCentre.objects.filter(active=True),
        label=_("Cost centre"),
        required=False,
        help_text=_("Empty: the person's cost centre."),
    )

    def limit_to_owner(self, owner_id: int) -> None:
        """A device is handed out within its own owner: offer and accept only that owner's people."""
        for name in ("person", "cost_centre"):
            field = self.fields[name]
            field.queryset = field.queryset.filter(owner_id=owner_id)  # type: ignore[attr-defined]
        self.fields["person"].widget.within(owner_id)  # type: ignore[attr-defined]


class MoveForm(UserForm):
    owner = forms.ModelChoiceField(
        Owner.objects.all(), label=_("Owner"), required=False, help_text=_("Empty: unchanged.")
    )
    person = forms.ModelChoiceField(
        Person.objects.filter(active=True),
        label=_("Person"),
        required=False,
        widget=SearchPicker("person", follow="owner"),
    )
    cost_centre = forms.ModelChoiceField(
        CostCentre.objects.filter(active=True),
        label=_("Cost centre"),
        required=False,
        widget=SearchPicker("costcentre", follow="owner"),
    )
    org_unit = forms.ModelChoiceField(OrgUnit.objects.filter(active=True), label=_("Org unit"), required=False)
    site = forms.ModelChoiceField(Site.objects.filter(active=True), label=_("Site"), required=False)

    def search_within(self, owner_id: int) -> None:
        """The pickers search the device's owner, or the owner chosen in the form's owner field."""
        for name in ("person", "cost_centre"):
            self.fields[name].widget.within(owner_id)  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=AssetStatus.choices, label=_("New status"))


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, label=_("Assets"))
    status = forms.ChoiceField(choices=[("", "—"), *AssetStatus.choices], label=_("New status"), required=False)
    operation = forms.ChoiceField(choices=[("status", _("Change status")), ("labels", _("Print labels"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the view narrows them to what the user may see.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else self.data.get("ids", [])
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit() and len(str(v)) < 19][:1000]  # type: ignore[attr-defined]


class AgentKeyForm(ScopedModelForm):
    class Meta:
        model = AgentKey
        fields = ["owner", "name"]


class TriageCreateForm(UserForm):
    asset_tag = forms.CharField(label=_("Asset tag"), max_length=40)
    model = forms.ModelChoiceField(AssetModel.objects.filter(active=True), label=_("Model"))
    org_unit = forms.ModelChoiceField(OrgUnit.objects.filter(active=True), label=_("Org unit"), required=False)
    cost_centre = forms.ModelChoiceField(CostCentre.objects.filter(active=True), label=_("Cost centre"), required=False)
    site = forms.ModelChoiceField(Site.objects.filter(active=True), label=_("Site"), required=False)


class TriageLinkForm(forms.Form):
    asset_tag = forms.CharField(label=_("Asset tag of the existing asset"), max_length=40)
