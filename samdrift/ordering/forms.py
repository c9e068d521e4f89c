from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models import AssetModel, Site
from samdrift.billing.models import Article
from samdrift.core.forms import bootstrapify
from samdrift.core.views import ScopedModelForm
from samdrift.ordering.models import (
    MAX_ORDER_ITEMS,
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


class OrderItemForm(forms.Form):
    """One thing in the order: a package or a service, `quantity` of it for every recipient."""

    item = forms.ChoiceField(required=False, label=_("package or service"))
    quantity = forms.IntegerField(min_value=1, max_value=100, initial=1, label=_("quantity per recipient"))

    def __init__(
        self, *args: Any, packages: list[Package] | None = None, services: list[Service] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.packages = {p.pk: p for p in packages or []}
        self.services = {s.pk: s for s in services or []}
        self.fields["item"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose…")),
            (_("Client packages"), [(f"p:{p.pk}", p.name) for p in self.packages.values()]),
            (_("Services"), [(f"s:{s.pk}", s.name) for s in self.services.values()]),
        ]
        self.fields["quantity"].widget.attrs["inputmode"] = "numeric"
        bootstrapify(self)

    def chosen(self) -> Package | Service | None:
        """The picked package or service (None for a row left empty)."""
        value = (self.cleaned_data or {}).get("item") or ""
        kind, _sep, pk = value.partition(":")
        table = self.packages if kind == "p" else self.services
        return table.get(int(pk)) if pk.isdigit() else None


class BaseOrderItemFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(f.cleaned_data.get("item") for f in self.forms if f.cleaned_data):
            raise forms.ValidationError(_("Pick at least one package or service."))

    def items(self, recipients: list[Person]) -> list[Any]:
        """The filled rows as order items for `recipients` (empty rows are ignored)."""
        from samdrift.ordering.actions import OrderItem

        items = []
        for form in self.forms:
            thing = form.chosen()
            if thing is None:
                continue
            kind = "package" if isinstance(thing, Package) else "service"
            items.append(OrderItem(recipients=recipients, quantity=form.cleaned_data["quantity"], **{kind: thing}))
        return items


OrderItemFormSet = forms.formset_factory(
    OrderItemForm, formset=BaseOrderItemFormSet, extra=0, min_num=1, max_num=MAX_ORDER_ITEMS, validate_max=True
)


class OrderForm(forms.Form):
    """The orderer's form: for whom, where, on which cost centre (what: OrderItemFormSet). Short
    enough for a phone."""

    recipients = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        label=_("recipients"),
        widget=RecipientPicker,
        help_text=_("Every recipient gets each package and service of the order."),
    )
    cost_centre = forms.ModelChoiceField(queryset=CostCentre.objects.none(), label=_("cost centre"))
    delivery_site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, label=_("delivery site"))
    delivery_address = forms.CharField(max_length=300, required=False, label=_("or delivery address"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("note"))

    def __init__(self, *args: Any, user: Any, owner_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = Person.objects.for_user(user).filter(owner_id__in=owner_ids, active=True)  # type: ignore[attr-defined]
        self.fields["cost_centre"].queryset = CostCentre.objects.for_user(user).filter(  # type: ignore[attr-defined]
            owner_id__in=owner_ids, active=True
        )  # type: ignore[attr-defined]
        self.fields["delivery_site"].queryset = Site.objects.for_user(user).filter(owner_id__in=owner_ids, active=True)  # type: ignore[attr-defined]
        bootstrapify(self)


class LeadTimeForm(forms.Form):
    """The lead-time report's choices: from which day, and one owner of those the user sees."""

    since = forms.DateField(required=False, label=_("submitted from"), widget=DATE)
    owner = forms.ModelChoiceField(queryset=Owner.objects.none(), required=False, label=_("owner"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = Owner.objects.for_user(user).only("pk", "name").order_by("name")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.sees_several_owners = owners[:2].count() > 1
        if not self.sees_several_owners:
            del self.fields["owner"]
        if not self.is_bound:
            self.initial["since"] = self.chosen_since()  # the day the report starts from, shown
        self.compact = True
        bootstrapify(self)
        if "owner" in self.fields:
            self.fields["owner"].empty_label = _("All owners")  # type: ignore[attr-defined]

    def _clean(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_bound and self.is_valid() else None

    def chosen_since(self) -> date:
        """The chosen day, or the report's default (a bad date gives the default too)."""
        from samdrift.ordering.reports import default_since

        return self._clean("since") or default_since()

    def chosen_owner(self) -> Owner | None:
        return self._clean("owner") if "owner" in self.fields else None


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


class ConfirmationFileForm(forms.Form):
    """Suppliers' order confirmations as a file (see `purchasing.do_import_confirmations`)."""

    file = forms.FileField(
        label=_("confirmation file (CSV or XLSX)"),
        help_text=_(
            "Columns: purchase_order, supplier_reference, article_number, quantity and, if known, delivery_date "
            "(YYYY-MM-DD)."
        ),
    )

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
