"""Forms of records management (parse and check fields; the actions validate the rest)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from samdrift.core.forms import bootstrapify
from samdrift.core.pickers import SearchPicker
from samdrift.records.models import (
    Decision,
    Direction,
    DisposalMethod,
    Ownership,
    RecordType,
    RetentionEvent,
    SecrecyGround,
    Series,
)
from samdrift.records.sources import SOURCES
from samdrift.tenancy.models import OrgUnit


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def full_clean(self) -> None:
        super().full_clean()
        bootstrapify(self)


def _grounds() -> Any:
    return SecrecyGround.objects.filter(active=True).order_by("reference")


class CaseForm(StyledForm):
    series = forms.ModelChoiceField(label=_("Series"), queryset=Series.objects.filter(active=True), required=False)
    registered = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    counterparty = forms.CharField(label=_("Sender or recipient"), max_length=200, required=False)
    subject = forms.CharField(
        label=_("Subject (in general terms)"),
        max_length=300,
        help_text=_("Never write secret content here: the register itself is public."),
    )
    record_type = forms.ModelChoiceField(
        label=_("Record type"), queryset=RecordType.objects.filter(active=True), required=False
    )
    secrecy_ground = forms.ModelChoiceField(
        label=_("Secrecy marking"), queryset=SecrecyGround.objects.none(), required=False
    )
    file = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secrecy_ground"].queryset = _grounds()  # type: ignore[attr-defined]


class AttachmentForm(StyledForm):
    file = forms.FileField(label=_("File"))
    secrecy_ground = forms.ModelChoiceField(
        label=_("Secrecy marking"), queryset=SecrecyGround.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secrecy_ground"].queryset = _grounds()  # type: ignore[attr-defined]


class CaseHoldForm(StyledForm):
    """The legal hold button of a register entry: set a hold (`hold=1`, with its reason) or release
    the entry's holds (`hold=0`)."""

    hold = forms.TypedChoiceField(
        label=_("Legal hold"),
        choices=(("1", "1"), ("0", "0")),
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason for the legal hold"),
        max_length=300,
        required=False,  # required when setting, checked in clean(); releasing needs none
        help_text=_("For example an ongoing dispute, or the auditors asked for it."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("hold") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the record must be kept."))
        return data


class RequestForm(StyledForm):
    requester_name = forms.CharField(
        label=pgettext_lazy("records", "Requester"),
        max_length=200,
        required=False,
        help_text=_("Leave empty when the requester is anonymous."),
    )
    requester_contact = forms.CharField(label=_("Contact (address, e-mail)"), max_length=300, required=False)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[("email", _("E-mail")), ("phone", _("Phone")), ("letter", _("Letter")), ("visit", _("Visit"))],
        required=False,
    )
    description = forms.CharField(label=_("What is requested"), widget=forms.Textarea(attrs={"rows": 3}))
    search_from = forms.DateField(
        label=_("Records from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    search_to = forms.DateField(
        label=_("Records until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SearchForm(StyledForm):
    q = forms.CharField(label=_("Search words"), max_length=200, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of record"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = [(label, source.verbose()) for label, source in SOURCES.items()]  # type: ignore[attr-defined]
        self.fields["kinds"].widget.attrs["class"] = "form-check-input"


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=[c for c in Decision.choices if c[0] != Decision.PENDING])
    grounds = forms.ModelMultipleChoiceField(
        label=_("Grounds"),
        queryset=SecrecyGround.objects.none(),
        required=False,
        help_text=_("Empty: the grounds of the record's markings."),
    )
    reason = forms.CharField(label=_("Reasoning"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grounds"].queryset = _grounds()  # type: ignore[attr-defined]


class MarkForm(StyledForm):
    field_name = forms.CharField(label=_("Part"), max_length=100, required=False)
    ground = forms.ModelChoiceField(label=_("Ground"), queryset=SecrecyGround.objects.none())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ground"].queryset = _grounds()  # type: ignore[attr-defined]


class RecordTypeForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    ownership = forms.ChoiceField(label=_("Whose record"), choices=Ownership.choices)
    registered = forms.BooleanField(label=_("Registered in the register"), required=False)
    keep = forms.BooleanField(label=_("Kept for ever"), required=False)
    retention_years = forms.IntegerField(
        label=_("Disposed of after (years)"), min_value=1, max_value=200, required=False
    )
    retention_event = forms.ChoiceField(label=_("Counted from"), choices=RetentionEvent.choices)  # type: ignore[arg-type]
    disposal_method = forms.ChoiceField(label=_("Disposal by"), choices=DisposalMethod.choices)  # type: ignore[arg-type]
    archived = forms.BooleanField(label=_("Delivered to the archive"), required=False)
    decision = forms.CharField(
        label=_("Disposal decision"),
        max_length=200,
        required=False,
        help_text=_("The decision that allows disposal, e.g. the board's decision of 2026-03-12 § 14."),
    )


class ApproveForm(StyledForm):
    decision = forms.CharField(label=_("Disposal decision cited"), max_length=200)


class GdprForm(StyledForm):
    # Found by searching (name, e-mail, employee number); the radio button carries the id.
    person = forms.IntegerField(label=_("Person"), min_value=1, max_value=2**62, widget=SearchPicker("person"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            ("extract", _("Register extract")),
            ("rectify", _("Rectification")),
            ("erase", _("Erasure")),
            ("restrict", _("Restriction of processing, or lifting it")),
        ],
    )


class RectifyForm(forms.Form):
    """The person's own data, filled in with what is stored: the records officer corrects what is
    wrong. Pupils have no phone or title (we never keep them), so those fields are left out.

    Not a StyledForm: its org units depend on the person, and StyledForm's styling of a bound form
    would validate it before they are set."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("No org unit")
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the person asked to have corrected, and how the correct values were checked."),
    )

    def __init__(self, *args: Any, person: Any, **kwargs: Any) -> None:
        self.person = person
        initial = {name: getattr(person, name) for name in ("first_name", "last_name", "email", "phone", "title")}
        initial["org_unit"] = person.org_unit_id
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if person.is_pupil:
            del self.fields["phone"], self.fields["title"]
        self.fields["org_unit"].queryset = (  # type: ignore[attr-defined]
            OrgUnit.objects.filter(owner_id=person.owner_id)
            .filter(Q(active=True) | Q(pk=person.org_unit_id or 0))
            .order_by("name")
        )
        bootstrapify(self)

    def full_clean(self) -> None:
        super().full_clean()
        bootstrapify(self)

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the stored one."""
        changed: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name == "note":
                continue
            stored = self.person.org_unit_id if name == "org_unit" else getattr(self.person, name)
            given = getattr(value, "pk", None) if name == "org_unit" else value
            if given != stored:
                changed[name] = value
        return changed


class RestrictForm(StyledForm):
    step = forms.ChoiceField(choices=[("restrict", "restrict"), ("lift", "lift")], widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Why, in a few words: the person disputes the accuracy of their data, objects to the processing, "
            "needs the data kept for a legal claim (art. 18.1). Shown only to records officers and administrators."
        ),
    )


class ArchiveExportForm(StyledForm):
    record_type = forms.ModelChoiceField(
        label=_("Record type"),
        queryset=RecordType.objects.filter(archived=True, active=True).order_by("name"),
        help_text=_("Only the types the plan delivers to the archive."),
    )
    date_from = forms.DateField(label=_("Closed from"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Closed until"), widget=forms.DateInput(attrs={"type": "date"}))
