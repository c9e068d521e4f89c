"""The outbox page for administrators: every outgoing e-mail with its status and error, filtered
by status, and a failed one sent again through an audited action. In development, where nothing is
delivered, this page is where the mail can be read."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from samdrift.core.access import access_object
from samdrift.core.actions import do_retry_outgoing_message
from samdrift.core.columns import DateTimeColumn
from samdrift.core.models import OutboxStatus, OutgoingMessage
from samdrift.core.outbox import may_see_outbox
from samdrift.core.views import ScopedDetailView, ScopedListView

DELIVERING_BACKENDS = ("smtp.EmailBackend",)

# What each kind of message is, as the outbox page says it (the stored kind is a code).
MAIL_KINDS = {
    "servicedesk.ticket_created": gettext_lazy("Ticket received"),
    "servicedesk.ticket_resolved": gettext_lazy("Ticket resolved"),
    "servicedesk.reply": gettext_lazy("Reply on a ticket"),
    "servicedesk.sla_warning": gettext_lazy("SLA warning"),
    "ordering.approval_requested": gettext_lazy("Order to approve"),
    "ordering.order_decided": gettext_lazy("Order decided"),
    "ordering.purchase_order": gettext_lazy("Purchase order to the supplier"),
    "ordering.agreement_expiry": gettext_lazy("Agreement about to expire"),
}


def mail_kind_label(kind: str) -> str:
    return str(MAIL_KINDS.get(kind, kind))


def delivers_mail() -> bool:
    """False in development (the dummy backend): the outbox page is then the only place mail is seen."""
    backend = str(settings.MAILERS.get("default", {}).get("BACKEND", ""))
    return backend.endswith(DELIVERING_BACKENDS)


class OutboxFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Search"), method="search")
    status = django_filters.ChoiceFilter(
        choices=[*OutboxStatus.choices, ("gave_up", gettext_lazy("Failed, not retried"))],
        label=gettext_lazy("Status"),
        method="filter_status",
    )

    class Meta:
        model = OutgoingMessage
        fields = ["status"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "gave_up":
            return queryset.filter(status=OutboxStatus.FAILED, next_attempt_at__isnull=True)
        return queryset.filter(status=value) if value else queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(subject__icontains=value) | Q(to__icontains=value) | Q(object_repr__istartswith=value))


class OutboxTable(tables.Table):
    created = DateTimeColumn(linkify=True, format="Y-m-d H:i:s", verbose_name=gettext_lazy("created"))
    to = tables.Column(orderable=False)
    attempts = tables.Column()
    last_error = tables.Column(orderable=False)

    class Meta:
        model = OutgoingMessage
        fields = ("created", "status", "to", "subject", "object_repr", "attempts", "next_attempt_at", "last_error")
        attrs = {
            "class": "table table-sm table-hover align-middle",
            "aria-label": capfirst(OutgoingMessage._meta.verbose_name_plural),
        }

    def render_to(self, value: Any) -> str:
        return ", ".join(value or [])

    def render_last_error(self, value: str) -> str:
        return value if len(value) <= 120 else value[:117] + "…"


class OutboxList(ScopedListView):
    model = OutgoingMessage
    table_class = OutboxTable
    filterset_class = OutboxFilter
    title = gettext_lazy("Outgoing e-mail")
    template_name = "core/outbox_list.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not may_see_outbox(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return super().get_queryset().defer("body_text", "body_html", "headers")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from samdrift.core.outbox import outbox_summary

        return {**super().get_context_data(**kwargs), "summary": outbox_summary(), "delivers": delivers_mail()}


class OutboxDetail(ScopedDetailView):
    model = OutgoingMessage
    template_name = "core/outbox_detail.html"

    def get_object(self, queryset: Any = None) -> Any:
        message = access_object(OutgoingMessage, self.request.user, self.kwargs["pk"])
        if not may_see_outbox(self.request.user):
            raise PermissionDenied
        return message

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            attachments=list(self.object.attachments.defer("content")),
            may_retry=self.object.status == OutboxStatus.FAILED,
            delivers=delivers_mail(),
            kind_label=mail_kind_label(self.object.kind),
        )
        return context


class OutboxRetry(LoginRequiredMixin, View):
    """POST: send a failed message again (administrators; audited)."""

    model = OutgoingMessage
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        message = access_object(OutgoingMessage, request.user, pk)
        try:
            do_retry_outgoing_message(message, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The message is queued and will be sent again shortly."))
        return HttpResponseRedirect(reverse("outbox_detail", args=[pk]))
