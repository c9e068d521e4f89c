import django_tables2 as tables
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from samdrift.servicedesk.models import Article, Category, InboundMessage, Mailbox, SlaPolicy, SupportGroup, Ticket
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

    def render_status(self, record: Ticket) -> str:
        return status_badge(record)


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
        model = Article
        fields = ("title", "owner", "visibility", "category", "updated", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Article._meta.verbose_name_plural)}


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
