from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models import AssetModel, Site
from samdrift.billing.models import Article
from samdrift.core.forms import bootstrapify
from samdrift.core.views import ScopedModelForm
from samdrift.ordering.models import (
    ORDERABLE_ROLE_CHOICES,
    Agreement,
    Approver,
    Package,
    Service,
    Supplier,
)
from samdrift.tenancy.models import CostCentre, Owner, Person, User

DATE = forms.DateInput(attrs={"type": "date"})


class SupplierForm(ScopedModelForm):
    class Meta:
        model = Supplier
        fields = ["name", "org_number", "contact_name", "email", "phone", "channel", "attachment_format"]


class AgreementForm(ScopedModelForm):
    parties = forms.ModelMultipleChoiceField(
        queryset=Owner.objects.all(), required=False, label=_("parties allowed to call off")
    )
    responsible = forms.ModelChoiceField(queryset=User.objects.all(), required=False, label=_("responsible person"))

    class Meta:
        model = Agreement
        fields = [
            "reference", "name", "supplier", "parties", "start", "end", "extension_options", "extensions_taken",
            "max_value", "call_off_method", "responsible", "secret_until_award", "awarded", "handling_fee_percent",
        ]  # fmt: skip
        widgets = {"start": DATE, "end": DATE, "awarded": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["parties"].queryset = Owner.objects.for_user(user)  # type: ignore[attr-defined]
        self.fields["responsible"].queryset = User.objects.filter(memberships__owner__isnull=True).distinct()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["parties"] = list(self.instance.parties.all())


class ServiceForm(ScopedModelForm):
    orderable_by = forms.MultipleChoiceField(
        choices=ORDERABLE_ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("roles that may order"),
    )
    billing_article = forms.ModelChoiceField(queryset=Article.objects.filter(active=True), label=_("billing article"))

    class Meta:
        model = Service
        fields = ["code", "name", "kind", "unit", "description", "sla", "orderable_by", "billing_article"]


class ServicePriceForm(forms.Form):
    price = forms.DecimalField(label=_("price (SEK)"), max_digits=14, decimal_places=4, min_value=0)
    valid_from = forms.DateField(label=_("valid from"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class PackageForm(ScopedModelForm):
    class Meta:
        model = Package
        fields = ["code", "name", "description"]


class PackageLineForm(forms.Form):
    agreement = forms.ModelChoiceField(
        queryset=Agreement.objects.none(), required=False, label=_("framework agreement")
    )
    article_number = forms.CharField(max_length=60, required=False, label=_("article number"))
    asset_model = forms.ModelChoiceField(queryset=AssetModel.objects.none(), required=False, label=_("asset model"))
    billing_article = forms.ModelChoiceField(
        queryset=Article.objects.none(), required=False, label=_("billing article")
    )
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False, label=_("service"))
    quantity = forms.IntegerField(min_value=1, max_value=1000, initial=1, label=_("quantity"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = Agreement.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        self.fields["asset_model"].queryset = AssetModel.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        self.fields["billing_article"].queryset = Article.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        self.fields["service"].queryset = Service.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        bootstrapify(self)


class ApproverForm(ScopedModelForm):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("approver"))
    substitute = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("substitute"))

    class Meta:
        model = Approver
        fields = ["owner", "cost_centre", "user", "level", "limit", "substitute", "away_from", "away_until"]
        widgets = {"away_from": DATE, "away_until": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        people = User.objects.filter(memberships__owner__isnull=False, is_active=True).distinct().order_by("username")
        self.fields["user"].queryset = people  # type: ignore[attr-defined]
        self.fields["substitute"].queryset = people  # type: ignore[attr-defined]
        if self.instance.pk:
            del self.fields["owner"]


class ApproverEditForm(ApproverForm):
    pass


class PriceImportForm(forms.Form):
    file = forms.FileField(label=_("price list (CSV or XLSX)"))
    valid_from = forms.DateField(label=_("valid from"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class RecipientPicker(forms.SelectMultiple):
    """The chosen people as ticked boxes and a search that finds more (`order_recipient_search`).

    An owner has thousands of people (pupils included), so the options are never all rendered:
    only the chosen ones, read from the field's own scoped queryset."""

    template_name = "ordering/widgets/recipient_picker.html"

    def optgroups(self, name: str, value: Any, attrs: Any = None) -> list[Any]:
        return []

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        ids = [int(v) for v in (value or []) if str(v).isdigit()]
        queryset = getattr(self.choices, "queryset", None)
        chosen = (
            list(queryset.filter(pk__in=ids).select_related("org_unit").order_by("last_name", "first_name", "id"))
            if ids and queryset is not None
            else []
        )
        context["widget"]["chosen"] = chosen
        context["widget"]["search_url"] = reverse("order_recipient_search")
        return context


class OrderForm(forms.Form):
    """The orderer's form: what, for whom, where, on which cost centre. Short enough for a phone."""

    package = forms.ModelChoiceField(queryset=Package.objects.none(), required=False, label=_("package"))
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False, label=_("service"))
    quantity = forms.IntegerField(min_value=1, max_value=100, initial=1, label=_("quantity per recipient"))
    recipients = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), label=_("recipients"), widget=RecipientPicker
    )
    cost_centre = forms.ModelChoiceField(queryset=CostCentre.objects.none(), label=_("cost centre"))
    delivery_site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, label=_("delivery site"))
    delivery_address = forms.CharField(max_length=300, required=False, label=_("or delivery address"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("note"))

    def __init__(self, *args: Any, user: Any, owner_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The catalogue is the operator's; the orderer sees what is active (prices on the page).
        self.fields["package"].queryset = Package.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["service"].queryset = Service.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["recipients"].queryset = Person.objects.for_user(user).filter(owner_id__in=owner_ids, active=True)  # type: ignore[attr-defined]
        self.fields["cost_centre"].queryset = CostCentre.objects.for_user(user).filter(  # type: ignore[attr-defined]
            owner_id__in=owner_ids, active=True
        )  # type: ignore[attr-defined]
        self.fields["delivery_site"].queryset = Site.objects.for_user(user).filter(owner_id__in=owner_ids, active=True)  # type: ignore[attr-defined]
        bootstrapify(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("package")) == bool(data.get("service")):
            raise forms.ValidationError(_("Pick either a package or a service."))
        return data


class DecisionForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("reason"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class ConfirmForm(forms.Form):
    supplier_reference = forms.CharField(max_length=100, required=False, label=_("supplier's reference"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class DeliveryForm(forms.Form):
    """A delivery by file (article_number;serial_number) or typed: one `article serial` a line."""

    file = forms.FileField(required=False, label=_("delivery file (CSV or XLSX)"))
    units = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("or units, one per line: article number and serial number"),
    )
    delivered_on = forms.DateField(label=_("delivery date"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)
