from collections.abc import Callable
from typing import Any

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from samdrift.servicedesk.models import (
    Category,
    InboundMessage,
    KnowledgeArticle,
    Mailbox,
    SlaPolicy,
    SupportGroup,
    Ticket,
)
from samdrift.tenancy.tables import TABLE_ATTRS, YES_NO


class TicketTable(tables.Table):
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "input": {
                "form": "bulk-form",
                "name": "ids",
                "aria-label": lambda record: _("Select %(thing)s") % {"thing": record.number},
            },
            "th__input": {"aria-label": _("Select all")},
        },
        orderable=False,
    )
    number = tables.Column(linkify=True)
    status = tables.Column()
    resolution_due = tables.DateTimeColumn(verbose_name=_("Resolution due"), format="Y-m-d H:i")

    class Meta:
        model = Ticket
        fields = (
            "select",
            "number",
            "subject",
            "owner",
            "requester",
            "status",
            "priority",
            "group",
            "assignee",
            "resolution_due",
        )
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Ticket._meta.verbose_name_plural)}
        # The queue's skip link lands on the first row: one Tab further is its first control.
        row_attrs = {"id": lambda record: f"ticket-{record.pk}"}
        template_name = "servicedesk/_ticket_table.html"

    # The queue is the page agents live on: its rows are written here in one pass (about 1 ms for
    # 50 rows) instead of through django-tables2's per-cell template machinery (about 60 ms, most
    # of the page's server time; see docs/servicedesk.md, Benchmark). Same markup, same columns;
    # headers, sorting and paging stay django-tables2's (Meta.template_name).

    def render_status(self, record: Ticket) -> str:
        return status_badge(record)

    def body_html(self) -> SafeString:
        cells = [_CELLS[column.name] for column in self.columns]
        records = [row.record for row in self.page.object_list] if getattr(self, "page", None) else []
        if not records:
            return format_html('<tr><td colspan="{}">{}</td></tr>', len(cells), self.empty_text or "")
        # Words looked up once per page, not once per row (each is a translation lookup).
        words = _Words(str(_("Select %(thing)s")))
        return format_html_join(
            "\n",
            '<tr id="ticket-{}">{}</tr>',
            ((t.pk, format_html_join("", "<td>{}</td>", ((cell(t, words),) for cell in cells))) for t in records),
        )


class _Words:
    def __init__(self, select_label: str) -> None:
        self.select_label = select_label
        self.badges: dict[str, str] = {}
        self.priorities: dict[int, str] = {}

    def badge(self, ticket: Ticket) -> str:
        if ticket.status not in self.badges:
            self.badges[ticket.status] = status_badge(ticket)
        return self.badges[ticket.status]

    def priority(self, ticket: Ticket) -> str:
        if ticket.priority not in self.priorities:
            self.priorities[ticket.priority] = ticket.get_priority_display()
        return self.priorities[ticket.priority]


def _name(user: Any) -> str:
    """Staff by name, not by user name."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


_CELLS: dict[str, Callable[[Ticket, _Words], Any]] = {
    "select": lambda t, words: format_html(
        '<input type="checkbox" name="ids" value="{}" form="bulk-form" aria-label="{}" />',
        t.pk,
        words.select_label % {"thing": t.number},
    ),
    "number": lambda t, _label: format_html('<a href="{}">{}</a>', t.get_absolute_url(), t.number),
    "subject": lambda t, _label: t.subject,
    "owner": lambda t, _label: t.owner.name,
    "requester": lambda t, _label: str(t.requester),
    "status": lambda t, words: words.badge(t),
    "priority": lambda t, words: words.priority(t),
    "group": lambda t, _label: t.group.name if t.group is not None else "—",
    "assignee": lambda t, _label: _name(t.assignee) if t.assignee_id else "—",
    "resolution_due": lambda t, _label: _when(t.resolution_due),
}


def status_badge(ticket: Ticket) -> str:
    """The status in words on a colour that says how far along the ticket is (text, not colour
    alone, carries the meaning; every badge has at least 4.5:1 contrast)."""
    return format_html(
        '<span class="badge sd-status sd-status-{}">{}</span>', ticket.status, ticket.get_status_display()
    )


class PortalTicketTable(tables.Table):
    number = tables.Column(linkify=("sd_portal_ticket", {"pk": tables.A("pk")}))

    class Meta:
        model = Ticket
        fields = ("number", "subject", "status", "created", "updated")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Ticket._meta.verbose_name_plural)}


class CategoryTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Category
        fields = ("name", "parent", "owner", "default_group", "offered_in_portal", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Category._meta.verbose_name_plural)}


class SupportGroupTable(tables.Table):
    name = tables.Column(linkify=True)
    member_count = tables.Column(verbose_name=_("Members"), orderable=False)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = SupportGroup
        fields = ("name", "email", "member_count", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(SupportGroup._meta.verbose_name_plural)}


class SlaPolicyTable(tables.Table):
    priority = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = SlaPolicy
        fields = ("owner", "priority", "first_response_minutes", "resolution_minutes", "opens", "closes", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(SlaPolicy._meta.verbose_name_plural)}


class ArticleTable(tables.Table):
    title = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Published"), yesno=YES_NO)

    class Meta:
        model = KnowledgeArticle
        fields = ("title", "owner", "visibility", "category", "updated", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(KnowledgeArticle._meta.verbose_name_plural)}


class MailboxTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Mailbox
        fields = ("name", "owner", "address", "host", "default_group", "last_polled_at", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Mailbox._meta.verbose_name_plural)}


class InboundTable(tables.Table):
    received_at = tables.DateTimeColumn(linkify=True, format="Y-m-d H:i")
    ticket = tables.Column(accessor="ticket__number", linkify=("sd_ticket_detail", {"pk": tables.A("ticket_id")}))

    class Meta:
        model = InboundMessage
        fields = ("received_at", "mailbox", "sender", "subject", "status", "reason", "ticket", "attempts")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(InboundMessage._meta.verbose_name_plural)}
