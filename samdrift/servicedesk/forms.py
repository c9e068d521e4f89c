from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from samdrift.assets.models import Asset
from samdrift.core.forms import bootstrapify
from samdrift.core.pickers import SearchPicker
from samdrift.core.views import ScopedModelForm
from samdrift.servicedesk.filters import desk_users
from samdrift.servicedesk.models import (
    Category,
    CommentKind,
    KnowledgeArticle,
    Mailbox,
    SlaPolicy,
    Status,
    SupportGroup,
    Ticket,
    TicketSecrecyGround,
    TicketType,
    WorkType,
)


class ListChoiceIterator(forms.models.ModelChoiceIterator):
    """Options read with one plain query. Django's iterator reads a select's options through a
    server-side cursor on PostgreSQL (DECLARE, FETCH and CLOSE: three round trips per select) and
    again for each rendering; the desk's short lists (groups, agents, categories) do not need one.
    Reading `self.queryset` keeps its rows, so a second rendering of the same field asks nothing."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ShortModelChoiceField(forms.ModelChoiceField):
    iterator = ListChoiceIterator


class _Plain(forms.Form):
    """Styled with Bootstrap. A bound form is styled after it is cleaned: styling reads the
    errors, and cleaning must wait until subclasses have set their querysets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            bootstrapify(self)

    def full_clean(self) -> None:
        super().full_clean()
        bootstrapify(self)


class CommentForm(_Plain):
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CommentKind.choices, initial=CommentKind.REPLY)
    confidential = forms.BooleanField(label=_("Confidential"), required=False)
    secrecy_ground = forms.ChoiceField(
        label=_("Secrecy ground"), choices=[("", "—"), *TicketSecrecyGround.choices], required=False
    )


class PortalReplyForm(_Plain):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))


class StatusForm(_Plain):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class AssignForm(_Plain):
    group = ShortModelChoiceField(label=_("Group"), queryset=SupportGroup.objects.none(), required=False)
    assignee = ShortModelChoiceField(label=_("Agent"), queryset=desk_users(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = SupportGroup.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = desk_users()  # type: ignore[attr-defined]


class ComposeForm(_Plain):
    """The ticket page's one compose area: a reply or an internal note, and in the same submit a
    new status, group or agent and the time spent. Everything is optional but not all at once;
    the view saves it all in one transaction or nothing (the form comes back as typed)."""

    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    kind = forms.ChoiceField(
        label=_("Send as"), choices=CommentKind.choices, initial=CommentKind.REPLY, widget=forms.RadioSelect
    )
    confidential = forms.BooleanField(label=_("Confidential"), required=False)
    secrecy_ground = forms.ChoiceField(
        label=_("Secrecy ground"), choices=[("", "—"), *TicketSecrecyGround.choices], required=False
    )
    # Left out (or empty): unchanged.
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, required=False)
    group = ShortModelChoiceField(label=_("Group"), queryset=SupportGroup.objects.none(), required=False)
    assignee = ShortModelChoiceField(label=_("Agent"), queryset=desk_users(), required=False)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60, required=False)
    work_type = forms.ChoiceField(label=_("Work type"), choices=WorkType.choices, initial=WorkType.SUPPORT)
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"status": ticket.status, "group": ticket.group_id, "assignee": ticket.assignee_id},
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["group"].queryset = SupportGroup.objects.for_user(user).filter(active=True)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = desk_users()  # type: ignore[attr-defined]
        self.fields["assignee"].label_from_instance = lambda user: user.get_full_name() or user.username  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if self.errors:
            return data
        ticket = self.ticket
        data["status"] = data.get("status") or ticket.status
        data["changes_status"] = data["status"] != ticket.status
        group, assignee = data.get("group"), data.get("assignee")
        data["changes_assignment"] = (getattr(group, "pk", None), getattr(assignee, "pk", None)) != (
            ticket.group_id,
            ticket.assignee_id,
        )
        if not (data.get("body") or "").strip() and not (
            data["changes_status"] or data["changes_assignment"] or data.get("minutes")
        ):
            raise ValidationError(_("Write a reply or a note, or change the status, the assignment or the time."))
        return data


class TimeForm(_Plain):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    work_type = forms.ChoiceField(label=_("Work type"), choices=WorkType.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class TicketRefForm(_Plain):
    number = forms.CharField(label=_("Ticket number"), max_length=20)


class RateForm(_Plain):
    score = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, choices=[(i, str(i)) for i in range(1, 6)], widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PortalTicketForm(_Plain):
    type = forms.ChoiceField(label=_("What do you need?"), choices=TicketType.choices)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 6}))

    assets = forms.ModelMultipleChoiceField(
        label=_("Which of your devices is it about?"),
        queryset=Asset.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, owner_id: int, user: Any, person_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.for_user(user).filter(  # type: ignore[attr-defined]
            owner_id=owner_id, active=True, offered_in_portal=True
        )
        devices = Asset.objects.for_user(user).filter(assigned_to_id=person_id, owner_id=owner_id)
        self.fields["assets"].queryset = devices.select_related("model").order_by("asset_tag")  # type: ignore[attr-defined]
        if person_id is None or not self.fields["assets"].queryset.exists():  # type: ignore[attr-defined]
            del self.fields["assets"]


def find_devices(user: Any, text: str, owner_id: int | None) -> list[Asset]:
    """Devices named by asset tag or serial number (comma, semicolon or space separated), among
    those the user may see and, when known, of one owner. Raises ValidationError naming what is unknown."""
    names = [name for name in text.replace(";", ",").replace(" ", ",").split(",") if name.strip()]
    if not names:
        return []
    names = list(dict.fromkeys(name.strip() for name in names))[:20]
    lowered = [name.lower() for name in names]
    # Exact matches in the spelling typed, upper and lower case: each one an index lookup.
    spellings = {*names, *(n.upper() for n in names), *lowered}
    qs = Asset.objects.for_user(user).filter(Q(asset_tag__in=spellings) | Q(serial_number__in=spellings))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    found = list(qs.select_related("model")[:40])
    missing = [
        name
        for name, low in zip(names, lowered, strict=True)
        if not any(low in (a.asset_tag.lower(), a.serial_number.lower()) for a in found)
    ]
    if missing:
        raise ValidationError(_("No device with asset tag or serial number %(names)s.") % {"names": ", ".join(missing)})
    return found


class DevicesField(forms.CharField):
    """Asset tags or serial numbers as text; the form resolves them with find_devices."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Devices"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("help_text", _("Asset tags or serial numbers, separated by commas."))
        super().__init__(**kwargs)


def _requester_with_user(field: Any, **kwargs: Any) -> Any:
    formfield = field.formfield(**kwargs)
    if field.name == "requester":
        # The acknowledgement is written in the requester's language: read their user with them.
        # Set on the class's field: a bound form is validated inside ScopedModelForm.__init__
        # (bootstrapify reads its errors), before a subclass's __init__ could change the field.
        formfield.queryset = formfield.queryset.select_related("user")
    return formfield


class TicketForm(ScopedModelForm):
    assets = DevicesField()

    class Meta:
        model = Ticket
        fields = ["requester", "subject", "description", "channel", "type", "category", "impact", "urgency"]
        widgets = {"requester": SearchPicker("person")}  # an owner has thousands of people
        formfield_callback = _requester_with_user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        requester = data.get("requester")
        try:
            data["assets"] = find_devices(
                self.user, data.get("assets") or "", requester.owner_id if requester else None
            )
        except ValidationError as exc:
            self.add_error("assets", exc)
        return data


class TicketDevicesForm(_Plain):
    add = DevicesField(label=_("Add devices"))
    remove = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class CategoryForm(ScopedModelForm):
    class Meta:
        model = Category
        fields = ["owner", "parent", "name", "default_group", "offered_in_portal"]


class CategoryEditForm(ScopedModelForm):
    class Meta:
        model = Category
        fields = ["parent", "name", "default_group", "offered_in_portal"]


class SlaPolicyForm(ScopedModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["owner", "priority", "first_response_minutes", "resolution_minutes", "opens", "closes", "weekdays"]


class SupportGroupForm(ScopedModelForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=desk_users(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Service-desk staff (administrators, agents, technicians)."),
    )

    class Meta:
        model = SupportGroup
        fields = ["name", "email", "members"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = desk_users()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["members"] = list(self.instance.members.values_list("pk", flat=True))


class SlaPolicyEditForm(ScopedModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["first_response_minutes", "resolution_minutes", "opens", "closes", "weekdays"]


class ArticleForm(ScopedModelForm):
    class Meta:
        model = KnowledgeArticle
        fields = ["owner", "title", "body", "visibility", "category"]


class ArticleEditForm(ScopedModelForm):
    class Meta:
        model = KnowledgeArticle
        fields = ["title", "body", "visibility", "category"]


class MailboxForm(ScopedModelForm):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False), max_length=500)

    class Meta:
        model = Mailbox
        fields = [
            "owner",
            "name",
            "address",
            "host",
            "port",
            "security",
            "username",
            "password",
            "folder",
            "default_group",
            "unknown_senders",
        ]


class MailboxEditForm(ScopedModelForm):
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        max_length=500,
        required=False,
        help_text=_("Leave empty to keep the saved password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "host",
            "port",
            "security",
            "username",
            "password",
            "folder",
            "default_group",
            "unknown_senders",
        ]


class RetryForm(_Plain):
    accept_defects = forms.BooleanField(
        label=_("Accept defects (broken MIME, unknown character set): take what can be read"), required=False
    )
    as_new_ticket = forms.BooleanField(label=_("Open a new ticket instead of adding to a thread"), required=False)


class AttachmentForm(_Plain):
    file = forms.FileField(label=_("File"))


class SavedViewForm(_Plain):
    name = forms.CharField(label=_("Name of the view"), max_length=100)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    shared = forms.BooleanField(label=_("Share with the desk"), required=False)
