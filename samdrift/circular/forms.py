from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samdrift.circular.models import Batch, Partner, ReportMapping, SecurityContact
from samdrift.circular.reports import FIELDS
from samdrift.core.forms import bootstrapify
from samdrift.core.views import ScopedModelForm


class PartnerForm(ScopedModelForm):
    class Meta:
        model = Partner
        fields = ["name", "email", "attachment_format", "missing_after_days", "credit_article"]


class BatchForm(ScopedModelForm):
    class Meta:
        model = Batch
        fields = ["partner", "pickup_address", "pickup_date", "notes"]
        widgets = {"pickup_date": forms.DateInput(attrs={"type": "date"}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = self.fields["partner"].queryset.filter(active=True)  # type: ignore[attr-defined]


class SecurityContactForm(ScopedModelForm):
    class Meta:
        model = SecurityContact
        fields = ["owner", "person"]


class PackingForm(forms.Form):
    box = forms.CharField(label=_("Box"), max_length=40, required=False)
    seal = forms.CharField(label=_("Seal"), max_length=40, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class ScanForm(PackingForm):
    labels = forms.CharField(
        label=_("Scanned labels"),
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        help_text=_("Asset tags or serial numbers, one per line (a barcode scanner ends each with Enter)."),
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("The partner's report (CSV or XLSX)"))
    mapping = forms.ModelChoiceField(
        label=_("Saved column mapping"), queryset=ReportMapping.objects.filter(active=True), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class ColumnsForm(forms.Form):
    save_as = forms.CharField(label=_("Save the mapping as"), max_length=100, required=False)

    def __init__(self, *args: Any, headers: list[str], initial_columns: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(h, h) for h in headers]]
        for name, label in FIELDS.items():
            self.fields[f"col_{name}"] = forms.ChoiceField(
                label=label, choices=choices, required=name in {"serial_number", "result"},
                initial=initial_columns.get(name, ""),
            )  # fmt: skip
        self.order_fields([f"col_{n}" for n in FIELDS] + ["save_as"])
        bootstrapify(self)

    def columns(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"col_{name}", "") for name in FIELDS if self.cleaned_data.get(f"col_{name}")
        }


class CertificateFileForm(forms.Form):
    file = forms.FileField(label=_("The partner's certificate (PDF)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class LossForm(forms.Form):
    """A loss report (förlustanmälan); the action checks it (do_report_loss)."""

    kind = forms.ChoiceField(label=_("Lost or stolen"), choices=[("lost", _("Lost")), ("stolen", _("Stolen"))])
    occurred_on = forms.DateField(label=_("Date of the loss"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=200)
    police_report = forms.CharField(
        label=_("Police report number"), max_length=40, required=False, help_text=_("Required for a stolen device.")
    )
    encrypted = forms.BooleanField(label=_("The disk was encrypted"), required=False)
    remotely_wiped = forms.BooleanField(label=_("Remotely wiped"), required=False)
    description = forms.CharField(
        label=_("What happened"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)
