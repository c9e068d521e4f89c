"""Forms of the finance screens: parse and check fields; the actions validate and write."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.billing.models import Article, BillingProfile, Charge, CostPool, KeyBasis, Subscription, WorkTypeRate
from samdrift.core.forms import bootstrapify
from samdrift.core.views import ScopedModelForm
from samdrift.tenancy.models import Owner

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ArticleForm(ScopedModelForm):
    class Meta:
        model = Article
        fields = ["code", "name", "unit_code", "unit_price", "revenue_account", "vat_category", "vat_rate", "active"]


class ArticleEditForm(ArticleForm):
    class Meta(ArticleForm.Meta):
        fields = ["name", "unit_code", "unit_price", "revenue_account", "vat_category", "vat_rate", "active"]


class SubscriptionForm(ScopedModelForm):
    class Meta:
        model = Subscription
        fields = [
            "owner",
            "cost_centre",
            "article",
            "description",
            "monthly_price",
            "start",
            "end",
            "external_ref",
        ]
        widgets = {"start": DATE, "end": DATE}


class SubscriptionEditForm(SubscriptionForm):
    class Meta(SubscriptionForm.Meta):
        fields = ["cost_centre", "description", "monthly_price", "start", "end", "external_ref"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cost_centre"].queryset = self.fields["cost_centre"].queryset.filter(  # type: ignore[attr-defined]
            owner_id=self.instance.owner_id
        )


class ChargeForm(ScopedModelForm):
    class Meta:
        model = Charge
        fields = [
            "owner",
            "cost_centre",
            "article",
            "description",
            "charge_date",
            "quantity",
            "unit_price",
            "external_ref",
        ]
        widgets = {"charge_date": DATE}


class ChargeEditForm(ChargeForm):
    class Meta(ChargeForm.Meta):
        fields = ["cost_centre", "article", "description", "charge_date", "quantity", "unit_price", "external_ref"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cost_centre"].queryset = self.fields["cost_centre"].queryset.filter(  # type: ignore[attr-defined]
            owner_id=self.instance.owner_id
        )


class CostPoolForm(ScopedModelForm):
    class Meta:
        model = CostPool
        fields = [
            "code",
            "name",
            "kind",
            "monthly_cost",
            "investment",
            "depreciation_months",
            "start",
            "end",
            "revenue_account",
            "vat_category",
            "vat_rate",
            "active",
            "sie_dimension",
            "sie_object",
            "cost_accounts",
        ]
        widgets = {"start": DATE, "end": DATE}


class CostPoolEditForm(CostPoolForm):
    class Meta(CostPoolForm.Meta):
        fields = [f for f in CostPoolForm.Meta.fields if f != "code"]


class WorkTypeRateForm(ScopedModelForm):
    work_type = forms.ChoiceField(label=gettext_lazy("work type"), choices=())

    class Meta:
        model = WorkTypeRate
        fields = ["work_type", "valid_from", "article", "hourly_rate"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from samdrift.servicedesk.models import WorkType

        super().__init__(*args, **kwargs)
        self.fields["work_type"].choices = WorkType.choices  # type: ignore[attr-defined]
        today = timezone.localdate()
        self.fields["valid_from"].initial = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        bootstrapify(self)


class WorkTypeRateEditForm(ScopedModelForm):
    class Meta:
        model = WorkTypeRate
        fields = ["article", "hourly_rate"]


def parse_figures(text: str) -> dict[int, Decimal]:
    """Lines of `municipality code; figure` (or a comma or tab) into owner id → figure."""
    owners = {o.municipality_code: o.pk for o in Owner.objects.all()}
    figures: dict[int, Decimal] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace("\t", ";").replace(",", ";").split(";") if p.strip()]
        if len(parts) == 3:  # "1266;15562,5" written with a decimal comma
            parts = [parts[0], f"{parts[1]}.{parts[2]}"]
        owner = owners.get(parts[0]) if parts else None
        try:
            value = Decimal(parts[1].replace(" ", "").replace("\xa0", "")) if len(parts) == 2 else None
        except InvalidOperation:
            value = None
        if owner is None or value is None or value < 0:
            errors.append(_("line %(line)s: %(text)s") % {"line": number, "text": line})
            continue
        figures[owner] = value
    if errors:
        raise forms.ValidationError(
            _("Write one owner per line as municipality code; figure (zero or more). Not understood: %(lines)s")
            % {"lines": "; ".join(errors)}
        )
    return figures


FIGURES_HELP = gettext_lazy(
    "One owner per line: municipality code; figure, e.g. 1266;15562. Leave empty for population, users "
    "or devices to take the current figures from Samdrift."
)


class AllocationKeyForm(forms.Form):
    basis = forms.ChoiceField(label=gettext_lazy("basis"), choices=KeyBasis.choices)
    valid_from = forms.DateField(label=gettext_lazy("valid from"), widget=DATE)
    valid_to = forms.DateField(label=gettext_lazy("valid to"), widget=DATE, required=False)
    note = forms.CharField(label=gettext_lazy("source of the figures"), max_length=300, required=False)
    figures = forms.CharField(
        label=gettext_lazy("figures"), widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text=FIGURES_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def clean_figures(self) -> dict[int, Decimal] | None:
        text = self.cleaned_data.get("figures", "")
        return parse_figures(text) if text.strip() else None


class AllocationFiguresForm(forms.Form):
    figures = forms.CharField(
        label=gettext_lazy("figures"), widget=forms.Textarea(attrs={"rows": 10}), help_text=FIGURES_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def clean_figures(self) -> dict[int, Decimal]:
        return parse_figures(self.cleaned_data.get("figures", ""))


class BillingProfileForm(ScopedModelForm):
    class Meta:
        model = BillingProfile
        fields = ["owner", "default_cost_centre", "split_by_reference", "payment_days", "peppol_endpoint", "pdf_email"]


class BillingProfileEditForm(ScopedModelForm):
    class Meta:
        model = BillingProfile
        fields = ["default_cost_centre", "split_by_reference", "payment_days", "peppol_endpoint", "pdf_email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_cost_centre"].queryset = self.fields["default_cost_centre"].queryset.filter(  # type: ignore[attr-defined]
            owner_id=self.instance.owner_id
        )
