"""Service-desk pages: the agent's queues and ticket page (HTMX), the end user's portal, and the
reference data. Views are thin: fetch through the scoped layer, call one action, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from samdrift.assets.models import Asset
from samdrift.core import cells
from samdrift.core.access import access_object, scope_for
from samdrift.core.actions import do_record_export
from samdrift.core.models import AuditEvent
from samdrift.core.outbox import may_see_outbox, messages_about
from samdrift.core.views import (
    ActionFormView,
    HistoryView,
    ScopedDetailView,
    ScopedListView,
    apply_validation_error,
    permission_checks,
)
from samdrift.servicedesk import actions, sla
from samdrift.servicedesk.api import resolve_assignee, resolve_group
from samdrift.servicedesk.filters import (
    QUEUES,
    TicketFilter,
)
from samdrift.servicedesk.forms import (
    AssignForm,
    CommentForm,
    ComposeForm,
    PortalReplyForm,
    PortalTicketForm,
    RateForm,
    StatusForm,
    TicketDevicesForm,
    TicketForm,
    TicketRefForm,
    TimeForm,
    find_devices,
)
from samdrift.servicedesk.models import (
    Comment,
    CommentKind,
    SavedView,
    Status,
    Ticket,
    TicketLink,
    TimeEntry,
)
from samdrift.servicedesk.permissions import is_desk, is_requester, may_write
from samdrift.servicedesk.reports import get_monthly_report_for_owner, get_trend_for_owner, report_workbook, this_month
from samdrift.servicedesk.tables import (
    PortalTicketTable,
    TicketTable,
)
from samdrift.tenancy.models import Owner, Person

_writer, _creator = permission_checks(may_write)


# --- agent: queues and the ticket page ---------------------------------------------------------


class TicketList(ScopedListView):
    model = Ticket
    table_class = TicketTable
    filterset_class = TicketFilter
    template_name = "servicedesk/ticket_list.html"
    select_related = ("owner", "requester", "group", "assignee")
    title = gettext_lazy("Tickets")
    # No subject or text: exports never carry what a confidential ticket says. No datetimes either,
    # the core XLSX export cannot write aware ones yet.
    export_fields = ("number", "owner__name", "status", "priority", "type", "category__name", "confidential")
    create_url_name = "sd_ticket_create"
    may_create = _creator("ticket")

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        # The desk's queue opens on the open tickets; "All" (`?queue=`) shows closed ones too.
        if not self.request.GET and is_desk(self.request.user):
            kwargs["data"] = QueryDict("queue=open")
        return kwargs

    def is_search(self) -> bool:
        # A word search is paged like any other list: newest first, walking the id index and
        # testing each ticket, which the planner picks when the word is common (a common word
        # finds its 50 newest matches within a few hundred tickets) and the trigram index with a
        # sort when it is rare, as for the API. Sorting every match first (the people list's
        # choice) read and sorted 50,000-150,000 tickets for a word in 5-15 % of subjects: 1.6 s
        # over HTTP at a million tickets (issue 19).
        return False

    def get_table(self, **kwargs: Any) -> Any:
        table = super().get_table(**kwargs)
        if not is_desk(self.request.user):
            table.columns.hide("select")
        return table

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Owner staff follow their owner's tickets; the agents' work queues are not theirs.
        rows = list(context["table"].page.object_list) if context.get("table") is not None else []
        context["first_ticket_id"] = rows[0].record.pk if rows else None
        context["queues"] = QUEUES if is_desk(self.request.user) else []
        context["current_queue"] = self.filterset.form.data.get("queue", "") if self.filterset is not None else ""
        if is_desk(self.request.user):
            context["saved_views"] = list(SavedView.objects.for_user(self.request.user).order_by("name", "id")[:50])
            context["saved_views_enabled"] = True
            context["bulk_form"] = True
            context["bulk_status_form"] = StatusForm()
            # The same groups and agents as the filter bar above it, read once for both.
            fields = self.filterset.form.fields if self.filterset is not None else {}
            bulk = AssignForm(user=self.request.user).fields
            context["bulk_groups"] = (fields.get("group") or bulk["group"]).queryset  # type: ignore[union-attr]
            context["bulk_agents"] = (fields.get("assignee") or bulk["assignee"]).queryset  # type: ignore[union-attr]
        return context


class TicketCreate(ActionFormView):
    model = Ticket
    form_class = TicketForm
    create_action = actions.do_create_ticket
    may_write = _writer("ticket")
    success_url_name = "sd_ticket_detail"


# What a ticket's audit events mean, as the timeline says it.
TIMELINE_ACTIONS = {
    "devices": gettext_lazy("changed the devices"),
    "update": gettext_lazy("changed the ticket"),
    "status": gettext_lazy("changed the status"),
    "reopen": gettext_lazy("reopened the ticket"),
    "assign": gettext_lazy("assigned the ticket"),
    "merge": gettext_lazy("merged the ticket"),
    "merged_from": gettext_lazy("took in a merged ticket"),
    "rate": gettext_lazy("rated the help"),
    "link": gettext_lazy("linked a ticket"),
    "bulk_assign": gettext_lazy("assigned the ticket"),
}


def ticket_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    """Everything the ticket page shows; also what an HTMX action re-renders."""
    user = request.user
    comments = Comment.objects.for_user(user).filter(ticket=ticket).select_related("author", "author_person")
    events = (
        AuditEvent.objects.filter(object_type="servicedesk.ticket", object_id=str(ticket.pk))
        .exclude(extra__action="first_response")
        .order_by("id")
    )
    timeline: list[tuple[Any, str, Any]] = [(c.created, "comment", c) for c in comments]
    event_rows: list[Any] = list(events.select_related("actor"))
    for event in event_rows:
        # In words: what happened, and who did it by name (not a username or a code).
        action = (event.extra or {}).get("action", "")
        event.action_label = TIMELINE_ACTIONS.get(action) or event.get_event_type_display()
        event.actor_name = (event.actor.get_full_name() if event.actor else "") or event.actor_label or _("System")
    timeline += [(e.created, "event", e) for e in event_rows]
    timeline.sort(key=lambda row: row[0])
    desk = is_desk(user)
    now = timezone.now()
    links = (
        TicketLink.objects.for_user(user).filter(Q(source=ticket) | Q(target=ticket)).select_related("source", "target")
    )
    return {
        "object": ticket,
        "ticket": ticket,
        "timeline": timeline,
        "links": links,
        "time_entries": TimeEntry.objects.for_user(user).filter(ticket=ticket).select_related("user"),
        "devices": Asset.objects.for_user(user).filter(tickets=ticket).select_related("model").order_by("asset_tag"),
        "devices_form": forms.get("devices_form") or TicketDevicesForm(),
        "desk": desk,
        "first_response_left": sla.business_seconds_left(ticket, ticket.first_response_due, now)
        if ticket.first_responded_at is None
        else None,
        "resolution_left": sla.business_seconds_left(ticket, ticket.resolution_due, now) if ticket.is_open else None,
        "paused": ticket.sla_paused_since is not None,
        # One compose area (reply or note, status, assignment, time); the old single-purpose forms'
        # errors, when one of their endpoints is used, are shown in its place.
        "compose_form": (forms.get("compose_form") or ComposeForm(user=user, ticket=ticket)) if desk else None,
        "other_form": next(
            (forms[k] for k in ("comment_form", "status_form", "assign_form", "time_form") if forms.get(k)), None
        ),
        "ref_form": forms.get("ref_form") or TicketRefForm(),
        "history_url": reverse("sd_ticket_history", args=[ticket.pk]),
        # The mail the desk sent about the ticket, with its delivery status (the outbox).
        "outbox_messages": messages_about(user, [("servicedesk.ticket", [ticket.pk])]) if desk else [],
        "may_see_outbox": desk and may_see_outbox(user),
        **attachment_context(user, ticket),
    }


def attachment_context(user: Any, ticket: Ticket) -> dict[str, Any]:
    from samdrift.servicedesk.intake import max_attachment_bytes
    from samdrift.servicedesk.views_mail import attachments_for

    return {
        "attachments": attachments_for(user, ticket),
        "may_attach": ticket.status != Status.CLOSED and (is_desk(user) or is_requester(user, ticket)),
        "attach_limit": max_attachment_bytes(),
    }


class TicketDetail(ScopedDetailView):
    model = Ticket
    template_name = "servicedesk/ticket_detail.html"

    def get_object(self, queryset: Any = None) -> Any:
        qs = Ticket.objects.select_related("owner", "requester", "group", "assignee", "category", "merged_into")
        return access_object(Ticket, self.request.user, self.kwargs["pk"], queryset=qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **ticket_context(self.request, self.object)}


class TicketHistory(HistoryView):
    model = Ticket


class TicketActionView(LoginRequiredMixin, View):
    """POST one action on a ticket; with HTMX the ticket panel is re-rendered in place."""

    model = Ticket
    form_class: ClassVar[Any] = None
    form_key: ClassVar[str] = ""
    requester_may: ClassVar[bool] = False
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def make_form(self, request: HttpRequest, ticket: Ticket) -> Any:
        return self.form_class(request.POST)

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = access_object(Ticket, request.user, pk)
        if not is_desk(request.user) and not (self.requester_may and is_requester(request.user, ticket)):
            raise PermissionDenied
        form = self.make_form(request, ticket)
        htmx = getattr(request, "htmx", False)
        done = ""
        if form.is_valid():
            try:
                done = self.perform(ticket, form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                if not htmx:
                    messages.success(request, done)
                form = None
        if htmx:
            # htmx swaps only 2xx answers: errors come back as 200 with the form showing them.
            ticket = access_object(Ticket, request.user, pk)
            context = ticket_context(request, ticket, **({self.form_key: form} if form is not None else {}))
            # Say what happened (a polite live region outside the panel, and a message that takes
            # the focus), and keep a reply being typed when another action re-renders the panel.
            context["announce"] = done or _("Not saved: see the errors in the form.")
            context["announce_error"] = not done
            if self.form_key not in TYPED_HERE and context.get("compose_form") is not None:
                # Another action re-rendered the panel: what is being typed in the compose area
                # stays as it is (htmx keeps elements marked hx-preserve, matched by id).
                for name in ("body", "minutes"):
                    context["compose_form"].fields[name].widget.attrs["hx-preserve"] = "true"
            return render(request, "servicedesk/_ticket_panel.html", context, status=200)
        if form is not None:
            for error in form.errors.values():
                messages.error(request, " ".join(error))
        return HttpResponseRedirect(reverse("sd_ticket_detail", args=[pk]))


# The actions whose own form is the compose area (or the old reply form): their answer shows the
# form as the action left it (empty after success, as typed after an error).
TYPED_HERE = frozenset({"compose_form", "comment_form"})


class TicketCompose(TicketActionView):
    """The compose area: a reply or note, a new status, group or agent and time spent, all saved
    in one transaction (all or nothing) so that nothing typed is lost and nothing half-done."""

    form_key = "compose_form"

    def make_form(self, request: HttpRequest, ticket: Ticket) -> Any:
        return ComposeForm(request.POST, user=request.user, ticket=ticket)

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        user = self.request.user
        done: list[str] = []
        body = (data.get("body") or "").strip()
        status = data["status"]
        with transaction.atomic():
            reopen = data["changes_status"] and ticket.status == Status.RESOLVED and status == Status.IN_PROGRESS
            if reopen:
                ticket = actions.do_reopen_ticket(ticket, actor=user)
                done.append(_("Status changed."))
            if body:
                actions.do_add_comment(
                    ticket,
                    body,
                    actor=user,
                    kind=data["kind"],
                    confidential=data["confidential"],
                    secrecy_ground=data["secrecy_ground"],
                )
                done.append(_("Reply sent.") if data["kind"] == CommentKind.REPLY else _("Note added."))
            if data["changes_assignment"]:
                ticket = actions.do_assign_ticket(ticket, group=data["group"], assignee=data["assignee"], actor=user)
                done.append(_("Assigned."))
            if data["changes_status"] and not reopen and status != ticket.status:
                actions.do_change_ticket_status(ticket, status, actor=user)
                done.append(_("Status changed."))
            if data.get("minutes"):
                actions.do_log_time(
                    ticket, data["minutes"], actor=user, billable=data["billable"], work_type=data["work_type"]
                )
                done.append(_("Time logged."))
        return " ".join(done)


class TicketComment(TicketActionView):
    form_class, form_key = CommentForm, "comment_form"

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        actions.do_add_comment(
            ticket,
            data["body"],
            actor=self.request.user,
            kind=data["kind"],
            confidential=data["confidential"],
            secrecy_ground=data["secrecy_ground"],
        )
        return _("Reply sent.") if data["kind"] == CommentKind.REPLY else _("Note added.")


class TicketStatus(TicketActionView):
    form_class, form_key = StatusForm, "status_form"

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        if ticket.status == Status.RESOLVED and data["status"] == Status.IN_PROGRESS:
            actions.do_reopen_ticket(ticket, actor=self.request.user, reason=data["reason"])
        else:
            actions.do_change_ticket_status(ticket, data["status"], actor=self.request.user, reason=data["reason"])
        return _("Status changed.")


class TicketAssign(TicketActionView):
    form_key = "assign_form"

    def make_form(self, request: HttpRequest, ticket: Ticket) -> Any:
        return AssignForm(request.POST, user=request.user)

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        actions.do_assign_ticket(ticket, group=data["group"], assignee=data["assignee"], actor=self.request.user)
        return _("Assigned.")


class TicketDevices(TicketActionView):
    """Add devices by asset tag or serial number, or take one off the ticket."""

    form_class, form_key = TicketDevicesForm, "devices_form"

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        current = list(ticket.assets.all())
        if data.get("remove"):
            assets = [a for a in current if a.pk != data["remove"]]
        else:
            added = find_devices(self.request.user, data.get("add") or "", ticket.owner_id)
            if not added:
                raise ValidationError({"add": _("Name a device by its asset tag or serial number.")})
            assets = current + [a for a in added if a not in current]
        try:
            actions.do_set_ticket_assets(ticket, assets, actor=self.request.user)
        except ValidationError as exc:
            raise ValidationError({"add": exc.messages}) from exc
        return _("Devices updated.")


class TicketTime(TicketActionView):
    form_class, form_key = TimeForm, "time_form"

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        actions.do_log_time(
            ticket, data["minutes"], actor=self.request.user, **{k: data[k] for k in ("billable", "work_type", "note")}
        )
        return _("Time logged.")


def _other_ticket(user: Any, number: str) -> Ticket:
    other = Ticket.objects.for_user(user).filter(number__iexact=number.strip()).first()
    if other is None:
        raise ValidationError({"number": _("No such ticket.")})
    return other


class TicketMerge(TicketActionView):
    form_class, form_key = TicketRefForm, "ref_form"

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        actions.do_merge_tickets(ticket, _other_ticket(self.request.user, data["number"]), actor=self.request.user)
        return _("Merged.")


class TicketLinkView(TicketActionView):
    form_class, form_key = TicketRefForm, "ref_form"

    def perform(self, ticket: Ticket, data: dict[str, Any]) -> str:
        actions.do_link_tickets(ticket, _other_ticket(self.request.user, data["number"]), actor=self.request.user)
        return _("Linked.")


class TicketBulk(LoginRequiredMixin, View):
    """POST from the queue: the same group, agent or status for all selected tickets."""

    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not is_desk(request.user):
            raise PermissionDenied
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        tickets = list(Ticket.objects.for_user(request.user).filter(pk__in=ids))
        try:
            group_id = request.POST.get("group") or None
            assignee_id = request.POST.get("assignee") or None
            count = actions.do_bulk_update_tickets(
                tickets,
                {
                    "status": request.POST.get("status", ""),
                    "group": resolve_group(request.user, int(group_id) if group_id else None),
                    "assignee": resolve_assignee(int(assignee_id) if assignee_id else None),
                },
                actor=request.user,
            )
        except (ValidationError, ValueError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("%(count)s tickets updated.") % {"count": count})
        return HttpResponseRedirect(reverse("sd_ticket_list") + "?" + request.POST.get("back", ""))


# --- portal: end users' own tickets ------------------------------------------------------------


def _person_of(user: Any) -> Person | None:
    person_id = scope_for(user).person_id
    return Person.objects.filter(pk=person_id).first() if person_id else None


class PortalHome(ScopedListView):
    model = Ticket
    table_class = PortalTicketTable
    filterset_fields: ClassVar[list[str]] = ["status"]
    template_name = "servicedesk/portal_list.html"
    title = gettext_lazy("My tickets")

    def get_queryset(self) -> Any:
        person_id = scope_for(self.request.user).person_id
        return Ticket.objects.for_user(self.request.user).filter(requester_id=person_id)


class PortalNew(LoginRequiredMixin, View):
    def _form(self, request: HttpRequest, person: Person, data: Any = None) -> PortalTicketForm:
        return PortalTicketForm(data, owner_id=person.owner_id, user=request.user, person_id=person.pk)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        person = _person_of(request.user)
        if person is None:
            return render(request, "servicedesk/portal_no_person.html", status=403)
        self.person: Person = person
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "servicedesk/portal_new.html", {"form": self._form(request, self.person)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request, self.person, request.POST)
        if form.is_valid():
            try:
                ticket = actions.do_create_ticket(
                    {**form.cleaned_data, "requester": self.person, "channel": "portal"}, actor=request.user
                )
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, PermissionDenied):
                    form.add_error(None, _("You may not report tickets here."))
                else:
                    apply_validation_error(form, exc)
            else:
                messages.success(
                    request, _("Thank you. Your ticket has number %(number)s.") % {"number": ticket.number}
                )
                return HttpResponseRedirect(reverse("sd_portal_ticket", args=[ticket.pk]))
        return render(request, "servicedesk/portal_new.html", {"form": form}, status=400)


class PortalTicket(LoginRequiredMixin, View):
    """The requester's view of their ticket: public replies only, answer, reopen, rate."""

    model = Ticket
    http_method_names: ClassVar[list[str]] = ["get", "post"]  # type: ignore[misc]

    def _ticket(self, request: HttpRequest, pk: int) -> Ticket:
        ticket = access_object(Ticket, request.user, pk)
        if not is_requester(request.user, ticket):
            raise Http404
        return ticket

    def _render(self, request: HttpRequest, ticket: Ticket, status: int = 200, **forms: Any) -> HttpResponse:
        replies = (
            Comment.objects.for_user(request.user)
            .filter(ticket=ticket, kind=CommentKind.REPLY, confidential=False)
            .select_related("author", "author_person")
        )
        context = {
            **attachment_context(request.user, ticket),
            "ticket": ticket,
            "object": ticket,
            "replies": replies,
            "reply_form": forms.get("reply_form") or PortalReplyForm(),
            "rate_form": forms.get("rate_form") or RateForm(),
            "may_reopen": ticket.status == Status.RESOLVED,
            "may_rate": ticket.status in (Status.RESOLVED, Status.CLOSED),
        }
        return render(request, "servicedesk/portal_ticket.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, self._ticket(request, pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self._ticket(request, pk)
        what = request.POST.get("do", "reply")
        form: Any
        try:
            if what == "reopen":
                actions.do_reopen_ticket(ticket, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("The ticket has been reopened."))
            elif what == "rate":
                form = RateForm(request.POST)
                if not form.is_valid():
                    return self._render(request, ticket, 400, rate_form=form)
                actions.do_rate_ticket(
                    ticket, form.cleaned_data["score"], form.cleaned_data["comment"], actor=request.user
                )
                messages.success(request, _("Thank you for your rating."))
            else:
                form = PortalReplyForm(request.POST)
                if not form.is_valid():
                    return self._render(request, ticket, 400, reply_form=form)
                actions.do_add_comment(ticket, form.cleaned_data["body"], actor=request.user)
                messages.success(request, _("Your reply has been added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self._render(request, access_object(Ticket, request.user, pk), 400)
        return HttpResponseRedirect(reverse("sd_portal_ticket", args=[pk]))


# --- monthly report ----------------------------------------------------------------------------


def monthly_report(request: HttpRequest) -> HttpResponse:
    """Per owner and month; `?export=csv` downloads the category table (audited)."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("login") + "?next=" + request.path)
    owners = Owner.objects.for_user(request.user).order_by("name")
    owner_id = request.GET.get("owner") or owners.values_list("pk", flat=True).first()
    if owner_id is None:
        raise Http404
    owner = access_object(Owner, request.user, owner_id)
    try:
        month = datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        month = this_month()
    report = get_monthly_report_for_owner(request.user, owner.pk, month)
    trend = get_trend_for_owner(request.user, owner.pk, month)
    if request.GET.get("export") == "xlsx":
        return _report_xlsx(request, owner, month, report, trend)
    if request.GET.get("export") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="servicedesk-{owner.pk}-{month:%Y-%m}.csv"'
        response.write("\ufeff")
        writer = cells.writer(response, delimiter=";")
        writer.writerow([_("Category"), _("Opened")])
        for row in report.by_category:
            writer.writerow([row["category__name"] or "", row["opened"]])
        writer.writerow([])
        for label, value in _report_figures(report):
            writer.writerow([label, "" if value is None else value])
        do_record_export(
            request.user,
            owner_id=owner.pk,
            object_type="servicedesk.report",
            extra={"format": "csv", "month": f"{month:%Y-%m}"},
        )
        return response
    context = {
        "owners": owners,
        "owner": owner,
        "month": month,
        "report": report,
        "figures": _report_figures(report),
        "title": _("Service desk report"),
        "trend": trend,
        "trend_max": max([1, *(max(t.opened, t.resolved) for t in trend)]),
    }
    return render(request, "servicedesk/report.html", context)


def _report_figures(report: Any) -> list[tuple[str, Any]]:
    return [
        (_("Opened"), report.opened),
        (_("Resolved"), report.resolved),
        (_("Resolution within SLA (%)"), report.resolution_attainment),
        (_("First response within SLA (%)"), report.first_response_attainment),
        (_("Median first response (minutes)"), report.median_first_response_minutes),
        (_("Median resolution (minutes)"), report.median_resolution_minutes),
        (_("Average rating (1–5)"), report.csat_average),
        (_("Ratings"), report.csat_count),
    ]


def _report_xlsx(request: HttpRequest, owner: Owner, month: Any, report: Any, trend: Any) -> HttpResponse:
    labels = {
        "figures": _("Key figures"),
        "categories": _("Opened by category"),
        "category": _("Category"),
        "opened": _("Opened"),
        "resolved": _("Resolved"),
        "none": _("No category"),
        "trend": _("Last 12 months"),
        "month": _("Month"),
        "attainment": _("Resolution within SLA (%)"),
    }
    response = HttpResponse(
        report_workbook(report, _report_figures(report), trend, labels),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="servicedesk-{owner.pk}-{month:%Y-%m}.xlsx"'
    do_record_export(
        request.user,
        owner_id=owner.pk,
        object_type="servicedesk.report",
        extra={"format": "xlsx", "month": f"{month:%Y-%m}"},
    )
    return response
