"""Licence pages: products, entitlements with their seats, and the compliance view."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.assets import licences
from samdrift.assets.filters import _scoped
from samdrift.assets.models import Asset, LicenceAssignment, LicenceEntitlement, LicenceKind, SoftwareProduct
from samdrift.assets.permissions import may_write
from samdrift.assets.tables import _attrs
from samdrift.assets.views import AssetsAction
from samdrift.core.crud import ModelViews
from samdrift.core.forms import bootstrapify
from samdrift.core.pickers import SearchPicker
from samdrift.core.views import ScopedDetailView, ScopedModelForm
from samdrift.tenancy.filters import SearchFilterSet
from samdrift.tenancy.models import Owner, Person
from samdrift.tenancy.tables import YES_NO


class SoftwareProductFilter(SearchFilterSet):
    search_fields = ("name", "publisher")
    active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = SoftwareProduct
        fields = ["active"]


class EntitlementFilter(SearchFilterSet):
    search_fields = ("product__name", "reference")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=gettext_lazy("Owner"))
    product = django_filters.ModelChoiceFilter(queryset=_scoped(SoftwareProduct), label=gettext_lazy("Product"))
    kind = django_filters.ChoiceFilter(choices=LicenceKind.choices, label=gettext_lazy("Kind"))
    expires_before = django_filters.DateFilter(
        field_name="valid_until", lookup_expr="lte", label=gettext_lazy("Expires by")
    )
    active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = LicenceEntitlement
        fields = ["owner", "product", "kind", "shared", "active"]


class SoftwareProductTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=gettext_lazy("Active"), yesno=YES_NO)

    class Meta:
        model = SoftwareProduct
        fields = ("name", "publisher", "active")
        attrs = _attrs(SoftwareProduct)


class EntitlementTable(tables.Table):
    product = tables.Column(linkify=lambda record: record.get_absolute_url())
    active = tables.BooleanColumn(verbose_name=gettext_lazy("Active"), yesno=YES_NO)

    class Meta:
        model = LicenceEntitlement
        fields = ("product", "owner", "kind", "seats", "valid_from", "valid_until", "cost", "shared", "active")
        attrs = _attrs(LicenceEntitlement)


class SoftwareProductForm(ScopedModelForm):
    class Meta:
        model = SoftwareProduct
        fields = ["name", "publisher", "aliases"]


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EntitlementForm(ScopedModelForm):
    class Meta:
        model = LicenceEntitlement
        fields = ["owner", "product", "kind", "seats", "valid_from", "valid_until", "cost", "shared", "reference"]
        widgets = {"valid_from": DATE, "valid_until": DATE}


class EntitlementEditForm(EntitlementForm):
    class Meta(EntitlementForm.Meta):
        fields = ["kind", "seats", "valid_from", "valid_until", "cost", "shared", "reference"]


class AssignLicenceForm(forms.Form):
    person = forms.IntegerField(
        label=gettext_lazy("Person"), required=False, min_value=1, max_value=2**62, widget=SearchPicker("person")
    )
    asset_tag = forms.CharField(label=gettext_lazy("or device (asset tag)"), required=False, max_length=40)


software_products = ModelViews(
    SoftwareProduct,
    "assets/software",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": SoftwareProductTable,
        "filterset_class": SoftwareProductFilter,
        "title": gettext_lazy("Software products"),
        "export_fields": ("name", "publisher", "aliases", "active"),
    },
    detail={"detail_fields": ("name", "publisher", "aliases", "active")},
    form={"form_class": SoftwareProductForm},
    create_action=licences.do_create_software_product,
    update_action=licences.do_update_software_product,
    active_action=licences.do_set_software_product_active,
)


class EntitlementDetailPage(ScopedDetailView):
    template_name = "assets/entitlement_detail.html"
    detail_fields = (
        "owner",
        "product",
        "kind",
        "seats",
        "valid_from",
        "valid_until",
        "cost",
        "shared",
        "reference",
        "active",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["assignments"] = LicenceAssignment.objects.filter(entitlement=self.object).select_related(
            "person", "asset"
        )
        if may_write(self.request.user, "asset", self.object.owner_id):
            form = AssignLicenceForm()
            form.fields["person"].widget.within(self.object.owner_id)  # type: ignore[attr-defined]
            context["assign_form"] = bootstrapify(form)
        return context


entitlements = ModelViews(
    LicenceEntitlement,
    "assets/licences",
    thing="asset",
    may_write=may_write,
    list={
        "table_class": EntitlementTable,
        "filterset_class": EntitlementFilter,
        "select_related": ("owner", "product"),
        "title": gettext_lazy("Licences"),
        "export_fields": (
            "product__name",
            "owner__name",
            "kind",
            "seats",
            "valid_from",
            "valid_until",
            "cost",
            "shared",
            "reference",
            "active",
        ),
    },
    detail=EntitlementDetailPage,
    form={"form_class": EntitlementForm},
    edit_form_class=EntitlementEditForm,
    create_action=licences.do_create_licence_entitlement,
    update_action=licences.do_update_licence_entitlement,
    active_action=licences.do_set_licence_entitlement_active,
)

SoftwareProductList, SoftwareProductDetail, SoftwareProductFormView, SoftwareProductActive, SoftwareProductHistory = (
    software_products.views()
)
EntitlementList, EntitlementDetail, EntitlementFormView, EntitlementActive, EntitlementHistory = entitlements.views()


class AssignLicence(AssetsAction):
    """A seat of the entitlement to a person or a device of its owner."""

    model = LicenceEntitlement
    form_class = AssignLicenceForm
    invalid_message = gettext_lazy("Choose a person or give an asset tag.")

    def perform(self, entitlement: LicenceEntitlement, data: dict[str, Any]) -> Any:
        user = self.request.user
        person = asset = None
        if data["person"]:
            person = Person.objects.for_user(user).filter(pk=data["person"]).first()
        if data["asset_tag"]:
            asset = (
                Asset.objects.for_user(user).filter(owner_id=entitlement.owner_id, asset_tag=data["asset_tag"]).first()
            )
        licences.do_assign_licence(entitlement, person=person, asset=asset, actor=user)
        return _("Seat assigned.")


@login_required
def licence_compliance(request: HttpRequest) -> HttpResponse:
    """Entitled, assigned and installed per product and owner; over- and under-use; expiring soon."""
    owners = Owner.objects.for_user(request.user).order_by("name")
    try:
        owner_id: int | None = int(request.GET.get("owner", ""))
    except ValueError:
        owner_id = None
    rows = licences.get_licence_compliance(request.user, owner_id=owner_id, today=timezone.localdate())
    context = {"title": _("Licence compliance"), "rows": rows, "owners": owners, "owner_id": owner_id}
    return render(request, "assets/compliance.html", context)
