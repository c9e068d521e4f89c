"""The service desk through /api/v1/: tickets and their actions, comments, time, categories, SLA."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.core.access import access_object
from samdrift.core.api import ERRORS, ScopedViewSet
from samdrift.servicedesk import actions, intake, saved_views
from samdrift.servicedesk.filters import (
    ArticleFilter,
    CategoryFilter,
    CommentFilter,
    InboundFilter,
    MailboxFilter,
    SlaPolicyFilter,
    SupportGroupFilter,
    TicketFilter,
    TimeEntryFilter,
    desk_users,
)
from samdrift.servicedesk.models import (
    Attachment,
    Category,
    Channel,
    Comment,
    InboundMessage,
    KnowledgeArticle,
    Mailbox,
    SavedView,
    SlaPolicy,
    SupportGroup,
    Ticket,
    TimeEntry,
)
from samdrift.servicedesk.serializers import (
    ArticleSerializer,
    AssignSerializer,
    AttachmentSerializer,
    BulkSerializer,
    CategorySerializer,
    CommentCreateSerializer,
    CommentSerializer,
    InboundMessageSerializer,
    MailboxSerializer,
    RateSerializer,
    RetrySerializer,
    SlaPolicySerializer,
    StatusSerializer,
    SupportGroupSerializer,
    TicketRefSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
)


def resolve_group(user: Any, pk: int | None) -> SupportGroup | None:
    if pk is None:
        return None
    group = SupportGroup.objects.for_user(user).filter(pk=pk, active=True).first()
    if group is None:
        raise ValidationError({"group": _("Unknown group.")})
    return group


def resolve_assignee(pk: int | None) -> Any:
    if pk is None:
        return None
    user = desk_users().filter(pk=pk).first()
    if user is None:
        raise ValidationError({"assignee": _("Unknown agent.")})
    return user


class CategoryViewSet(ScopedViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    create_action = actions.do_create_category
    update_action = actions.do_update_category
    active_action = actions.do_set_category_active


class SupportGroupViewSet(ScopedViewSet):
    """Support groups that tickets are assigned to, with their members (administrators write)."""

    queryset = SupportGroup.objects.prefetch_related("members")
    serializer_class = SupportGroupSerializer
    filterset_class = SupportGroupFilter
    create_action = actions.do_save_support_group
    update_action = actions.do_update_support_group
    active_action = actions.do_set_support_group_active


class SavedViewSerializer(serializers.ModelSerializer):
    user: serializers.Field = serializers.StringRelatedField(read_only=True, help_text="Whose view it is.")
    url = serializers.SerializerMethodField(help_text="The ticket queue with the view's filters.")

    class Meta:
        model = SavedView
        fields = ["id", "name", "query", "shared", "user", "url", "created"]
        read_only_fields = ["id", "user", "url", "created"]
        extra_kwargs = {
            "query": {
                "help_text": "The queue's filters as a query string (queue, status, priority, type, "
                "owner, category, group, assignee, q, sort); anything else is dropped."
            },
            "shared": {"help_text": "Shown to the rest of the desk too."},
        }

    def get_url(self, obj: SavedView) -> str:
        from django.urls import reverse

        return f"{reverse('sd_ticket_list')}?{obj.query}" if obj.query else reverse("sd_ticket_list")

    def get_validators(self) -> list[Any]:
        # The model's unique (user, name) needs the user, who is not a field here: the action
        # checks it and answers "You already have a view with this name."
        return []


@extend_schema_view(
    list=extend_schema(responses={200: SavedViewSerializer(many=True), 404: ERRORS[404]}),
    create=extend_schema(responses={201: SavedViewSerializer, 400: ERRORS[400], 403: ERRORS[403]}),
    destroy=extend_schema(responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}),
)
class SavedViewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Saved views of the ticket queue (desk staff): your own and those shared with the desk. A
    view keeps only filters; whoever opens it still sees only their own scope. Only its owner
    deletes a view."""

    queryset = SavedView.objects.all()
    serializer_class = SavedViewSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return SavedView.objects.for_user(self.request.user).select_related("user")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = saved_views.do_save_view(dict(serializer.validated_data), actor=self.request.user)

    def perform_destroy(self, instance: SavedView) -> None:
        saved_views.do_delete_saved_view(instance, actor=self.request.user)


class SlaPolicyViewSet(ScopedViewSet):
    queryset = SlaPolicy.objects.all()
    serializer_class = SlaPolicySerializer
    filterset_class = SlaPolicyFilter
    create_action = actions.do_create_sla_policy
    update_action = actions.do_update_sla_policy
    active_action = actions.do_set_sla_policy_active


class ArticleViewSet(ScopedViewSet):
    """Knowledge-base articles; `?q=` searches (Swedish full text on PostgreSQL)."""

    queryset = KnowledgeArticle.objects.all()
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    create_action = actions.do_create_article
    update_action = actions.do_update_article
    active_action = actions.do_set_article_active


class CommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Comments you may see (agents: all; others: public replies on tickets they may see)."""

    queryset = Comment.objects.all()
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return Comment.objects.for_user(self.request.user).order_by("-id")


class TimeEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = TimeEntry.objects.all()
    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return TimeEntry.objects.for_user(self.request.user).order_by("-id")


class TicketViewSet(ScopedViewSet):
    """Tickets. Writes go through the lifecycle actions below; PATCH changes the description fields."""

    queryset = Ticket.objects.select_related("owner").prefetch_related("assets")
    serializer_class = TicketSerializer
    filterset_class = TicketFilter

    def get_serializer_class(self) -> Any:
        if self.action in {"update", "partial_update"}:
            return TicketUpdateSerializer
        return TicketSerializer

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.setdefault("channel", Channel.API)
        assets = list(data.get("assets") or ())
        ticket = actions.do_create_ticket(data, actor=self.request.user)
        # The answer lists the new ticket's devices: the ones just checked and linked, in the
        # devices' own order (newest first); no query to read them back.
        linked = ticket.assets.all()
        linked._result_cache = sorted(assets, key=lambda asset: -asset.pk)
        linked._prefetch_done = True  # type: ignore[attr-defined]
        ticket._prefetched_objects_cache = {"assets": linked}  # type: ignore[attr-defined]
        serializer.instance = ticket

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = actions.do_update_ticket(
            serializer.instance, dict(serializer.validated_data), actor=self.request.user
        )

    def _done(self, ticket: Ticket) -> Response:
        ticket = access_object(Ticket, self.request.user, ticket.pk)
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    @extend_schema(request=StatusSerializer, responses={200: TicketSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = body.validated_data["status"]
        if new == "reopen":
            ticket = actions.do_reopen_ticket(ticket, actor=request.user, reason=body.validated_data["reason"])
        else:
            ticket = actions.do_change_ticket_status(
                ticket, new, actor=request.user, reason=body.validated_data["reason"]
            )
        return self._done(ticket)

    @extend_schema(request=AssignSerializer, responses={200: TicketSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = actions.do_assign_ticket(
            ticket,
            group=resolve_group(request.user, body.validated_data.get("group")),
            assignee=resolve_assignee(body.validated_data.get("assignee")),
            actor=request.user,
        )
        return self._done(ticket)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = CommentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = actions.do_add_comment(ticket, actor=request.user, **body.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TimeEntryCreateSerializer, responses={201: TimeEntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def time(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = TimeEntryCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = actions.do_log_time(ticket, actor=request.user, **body.validated_data)
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketRefSerializer, responses={200: TicketSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """Merge this ticket, a duplicate, into `ticket`."""
        duplicate = self.get_object()
        body = TicketRefSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        into = access_object(Ticket, request.user, body.validated_data["ticket"])
        return self._done(actions.do_merge_tickets(duplicate, into, actor=request.user))

    @extend_schema(request=TicketRefSerializer, responses={201: None, **ERRORS})
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: str | None = None) -> Response:
        source = self.get_object()
        body = TicketRefSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = access_object(Ticket, request.user, body.validated_data["ticket"])
        link = actions.do_link_tickets(source, target, actor=request.user)
        return Response({"id": link.pk, "source": source.pk, "target": target.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(request=RateSerializer, responses={200: TicketSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        body = RateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = actions.do_rate_ticket(
            ticket, body.validated_data["score"], body.validated_data["comment"], actor=request.user
        )
        return self._done(ticket)

    @extend_schema(request=BulkSerializer, responses={200: None, **ERRORS})
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Set group, assignee and/or status on many tickets at once (all or none)."""
        body = BulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data["ids"]
        tickets = list(Ticket.objects.for_user(request.user).filter(pk__in=ids))
        if len(tickets) != len(set(ids)):
            raise ValidationError({"ids": _("Some tickets were not found.")})
        count = actions.do_bulk_update_tickets(
            tickets,
            {
                "status": body.validated_data["status"],
                "group": resolve_group(request.user, body.validated_data.get("group")),
                "assignee": resolve_assignee(body.validated_data.get("assignee")),
            },
            actor=request.user,
        )
        return Response({"updated": count})


class MailboxViewSet(ScopedViewSet):
    """IMAP mailboxes the desk reads (administrators). The password is write-only."""

    queryset = Mailbox.objects.select_related("owner")
    serializer_class = MailboxSerializer
    filterset_class = MailboxFilter
    create_action = intake.do_create_mailbox
    update_action = intake.do_update_mailbox
    active_action = intake.do_set_mailbox_active


class InboundMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Received email; `?status=failed` is the error queue; `retry` processes a failed one again."""

    queryset = InboundMessage.objects.all()
    serializer_class = InboundMessageSerializer
    filterset_class = InboundFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return InboundMessage.objects.for_user(self.request.user).order_by("-id")

    @extend_schema(request=RetrySerializer, responses={200: InboundMessageSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        msg = self.get_object()
        body = RetrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        msg = intake.do_retry_inbound_message(msg, actor=request.user, **body.validated_data)
        return Response(InboundMessageSerializer(msg).data)


class AttachmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Attachments you may see; the file itself is at /servicedesk/attachments/<id>/."""

    queryset = Attachment.objects.all()
    serializer_class = AttachmentSerializer
    filterset_fields = ["ticket"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return Attachment.objects.for_user(self.request.user).order_by("-id")


def register(router: Any) -> None:
    """This app's API routes, registered on the project's router by samdrift/urls.py."""
    router.register("tickets", TicketViewSet)
    router.register("ticket-comments", CommentViewSet)
    router.register("time-entries", TimeEntryViewSet)
    router.register("ticket-categories", CategoryViewSet)
    router.register("sla-policies", SlaPolicyViewSet)
    router.register("support-groups", SupportGroupViewSet)
    router.register("saved-views", SavedViewViewSet)
    router.register("knowledge-articles", ArticleViewSet)
    router.register("mailboxes", MailboxViewSet)
    router.register("received-email", InboundMessageViewSet)
    router.register("ticket-attachments", AttachmentViewSet)
