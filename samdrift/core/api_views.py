"""API of the shared parts: the audit trail and who am I."""

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.core.access import scope_for
from samdrift.core.actions import do_retry_outgoing_message
from samdrift.core.api import ERRORS
from samdrift.core.audit_reading import mask_unreadable
from samdrift.core.filters import UtcDateTimeFilter
from samdrift.core.labels import about_label
from samdrift.core.models import AuditEvent, OutgoingMessage
from samdrift.core.outbox import may_see_outbox


class AuditEventSerializer(serializers.ModelSerializer):
    masked = serializers.SerializerMethodField(
        help_text="True when the reader may not read the object: its subject, changes and details are left out."
    )

    def get_masked(self, obj: AuditEvent) -> bool:
        return bool(getattr(obj, "masked", False))

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created",
            "actor",
            "actor_label",
            "actor_role",
            "owner",
            "event_type",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "extra",
            "request_id",
            "hash",
            "masked",
        ]


class AuditEventFilter(django_filters.FilterSet):
    created_after = UtcDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created", lookup_expr="lt")
    object_type = django_filters.CharFilter(method="filter_object_type")

    class Meta:
        model = AuditEvent
        fields = ["owner", "actor", "event_type", "object_type", "object_id"]

    def filter_object_type(self, queryset: Any, name: str, value: str) -> Any:
        """A model's events under its current label and those it had before a rename (core.labels)."""
        return about_label(queryset, value)


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, for operator admins and records officers."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return AuditEvent.objects.for_user(self.request.user)

    # Each event carries only what its reader may read of its object (core/audit_reading.py).
    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return None if page is None else mask_unreadable(self.request.user, page)

    def get_object(self) -> AuditEvent:
        (event,) = mask_unreadable(self.request.user, [super().get_object()])
        return event


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "id": serializers.IntegerField(),
            "username": serializers.CharField(),
            "operator_roles": serializers.ListField(child=serializers.CharField()),
            "owner_roles": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        },
    )
)
@api_view(["GET"])
def me(request: Request) -> Response:
    scope = scope_for(request.user)
    return Response(
        {
            "id": request.user.pk,
            "username": request.user.get_username(),
            "operator_roles": sorted(scope.operator_roles),
            "owner_roles": {str(k): sorted(v) for k, v in scope.owner_roles.items()},
        }
    )


class OutgoingMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutgoingMessage
        fields = [
            "id",
            "created",
            "owner",
            "kind",
            "object_type",
            "object_id",
            "object_repr",
            "from_email",
            "to",
            "cc",
            "subject",
            "body_text",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "failed_at",
            "last_error",
        ]
        read_only_fields = fields


class OutgoingMessageFilter(django_filters.FilterSet):
    class Meta:
        model = OutgoingMessage
        fields = ["status", "kind", "object_type", "object_id"]


class OutgoingMessageViewSet(viewsets.ReadOnlyModelViewSet):
    """The outbox, for operator administrators: every outgoing e-mail with its status and error."""

    queryset = OutgoingMessage.objects.all()
    serializer_class = OutgoingMessageSerializer
    filterset_class = OutgoingMessageFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        qs = OutgoingMessage.objects.for_user(self.request.user)
        return qs if may_see_outbox(self.request.user) else qs.none()

    @extend_schema(request=None, responses={200: OutgoingMessageSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Send a failed message again (audited as `mail_retried`)."""
        message = do_retry_outgoing_message(self.get_object(), actor=request.user)
        return Response(self.get_serializer(message).data)
