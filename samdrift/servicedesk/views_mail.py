"""Pages for email in (mailboxes, received messages and their error queue), attachments and the
queue's saved views. Thin: fetch through the scoped layer, call one action, render."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from samdrift.core.access import access_object
from samdrift.core.crud import ModelViews
from samdrift.core.views import ScopedDetailView, ScopedListView
from samdrift.servicedesk import intake, saved_views
from samdrift.servicedesk.filters import InboundFilter, MailboxFilter
from samdrift.servicedesk.forms import AttachmentForm, MailboxEditForm, MailboxForm, RetryForm, SavedViewForm
from samdrift.servicedesk.mail import MailError, parse_message
from samdrift.servicedesk.models import Attachment, InboundMessage, InboundStatus, Mailbox, SavedView, Ticket
from samdrift.servicedesk.permissions import is_desk, is_requester
from samdrift.servicedesk.tables import InboundTable, MailboxTable

# Types a browser may show in place; everything else is downloaded (never rendered as HTML).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"})


def _may_admin_mailbox(user: Any, obj: Any = None) -> bool:
    from samdrift.core.access import may

    return may(user, owner_id=getattr(obj, "owner_id", None), operator_roles=intake.MAILBOX_ROLES)


# --- mailboxes ---------------------------------------------------------------------------------


mailboxes = ModelViews(
    Mailbox,
    "servicedesk/mailboxes",
    name="sd_mailbox",
    may_write=_may_admin_mailbox,
    list={
        "table_class": MailboxTable,
        "filterset_class": MailboxFilter,
        "select_related": ("owner", "default_group"),
        "title": gettext_lazy("Mailboxes"),
        # Never the password.
        "export_fields": ("name", "owner__name", "address", "host", "port", "security", "username", "active"),
    },
    detail={
        "template_name": "servicedesk/mailbox_detail.html",
        "detail_fields": (
            "owner",
            "name",
            "address",
            "host",
            "port",
            "security",
            "username",
            "folder",
            "default_group",
            "unknown_senders",
            "active",
            "last_polled_at",
            "last_uid",
            "last_error",
        ),
    },
    form={"form_class": MailboxForm},
    edit_form_class=MailboxEditForm,
    create_action=intake.do_create_mailbox,
    update_action=intake.do_update_mailbox,
    active_action=intake.do_set_mailbox_active,
)
MailboxList, MailboxDetail, MailboxFormView, MailboxActive, MailboxHistory = mailboxes.views()


class MailboxPoll(LoginRequiredMixin, View):
    """POST: read this mailbox now (queued for the worker)."""

    model = Mailbox
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mailbox = access_object(Mailbox, request.user, pk)
        if not intake.may_work_intake(request.user):
            raise PermissionDenied
        from samdrift.servicedesk.tasks import poll_mailbox_task

        poll_mailbox_task.enqueue(mailbox.pk)
        messages.success(request, _("The mailbox will be read in a moment."))
        return HttpResponseRedirect(reverse("sd_mailbox_detail", args=[mailbox.pk]))


# --- received messages and the error queue ----------------------------------------------------


class InboundList(ScopedListView):
    model = InboundMessage
    table_class = InboundTable
    filterset_class = InboundFilter
    select_related = ("mailbox", "ticket")
    title = gettext_lazy("Received email")
    export_fields = ("received_at", "mailbox__name", "sender", "status", "ticket__number", "attempts")


class InboundDetail(ScopedDetailView):
    model = InboundMessage
    template_name = "servicedesk/inbound_detail.html"

    def get_object(self, queryset: Any = None) -> Any:
        qs = InboundMessage.objects.select_related("mailbox", "ticket", "comment")
        return access_object(InboundMessage, self.request.user, self.kwargs["pk"], queryset=qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        msg = self.object
        text, problem = "", ""
        try:
            with msg.raw.open("rb") as fh:
                text = parse_message(fh.read(), accept_defects=True).text
        except (MailError, OSError) as exc:
            problem = str(exc)
        context.update(
            text=text,
            problem=problem,
            retry_form=RetryForm(),
            may_retry=msg.status == InboundStatus.FAILED and intake.may_work_intake(self.request.user),
        )
        return context


class InboundRetry(LoginRequiredMixin, View):
    model = InboundMessage
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        msg = access_object(InboundMessage, request.user, pk)
        form = RetryForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Invalid choice."))
            return HttpResponseRedirect(reverse("sd_inbound_detail", args=[pk]))
        try:
            msg = intake.do_retry_inbound_message(msg, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if msg.status == InboundStatus.FAILED:
                messages.error(request, msg.reason)
            else:
                messages.success(request, msg.reason)
        return HttpResponseRedirect(reverse("sd_inbound_detail", args=[pk]))


class InboundRaw(LoginRequiredMixin, View):
    """The message exactly as received (.eml), for whoever may see the message."""

    model = InboundMessage
    http_method_names: ClassVar[list[str]] = ["get"]  # type: ignore[misc]

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        msg = access_object(InboundMessage, request.user, pk)
        response = FileResponse(msg.raw.open("rb"), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="message-{msg.pk}.eml"'
        return response


# --- attachments -------------------------------------------------------------------------------


class AttachmentDownload(LoginRequiredMixin, View):
    model = Attachment
    http_method_names: ClassVar[list[str]] = ["get"]  # type: ignore[misc]

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        attachment = access_object(Attachment, request.user, pk)
        inline = attachment.content_type in INLINE_TYPES
        response = FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type if inline else "application/octet-stream",
            as_attachment=not inline,
            filename=attachment.filename,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class TicketAttach(LoginRequiredMixin, View):
    """POST a file to a ticket: desk staff from the ticket page, the requester from the portal."""

    model = Ticket
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = access_object(Ticket, request.user, pk)
        desk = is_desk(request.user)
        if not desk and not is_requester(request.user, ticket):
            raise PermissionDenied
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                intake.do_add_attachment(ticket, form.cleaned_data["file"], actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("File attached."))
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(str(e) for e in errors))
        target = "sd_ticket_detail" if desk else "sd_portal_ticket"
        return HttpResponseRedirect(reverse(target, args=[pk]))


# --- saved views of the queue ------------------------------------------------------------------


class SavedViewCreate(LoginRequiredMixin, View):
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not is_desk(request.user):
            raise PermissionDenied
        form = SavedViewForm(request.POST)
        query = ""
        if form.is_valid():
            try:
                query = saved_views.do_save_view(form.cleaned_data, actor=request.user).query
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("View saved."))
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(str(e) for e in errors))
        return HttpResponseRedirect(reverse("sd_ticket_list") + ("?" + query if query else ""))


class SavedViewDelete(LoginRequiredMixin, View):
    model = SavedView
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = access_object(SavedView, request.user, pk)
        try:
            saved_views.do_delete_saved_view(view, actor=request.user)
        except PermissionDenied:
            messages.error(request, _("Only the person who saved a view can delete it."))
        else:
            messages.success(request, _("View deleted."))
        return HttpResponseRedirect(reverse("sd_ticket_list"))


def attachments_for(user: Any, ticket: Ticket) -> Any:
    return Attachment.objects.for_user(user).filter(ticket=ticket).select_related("uploaded_by")
