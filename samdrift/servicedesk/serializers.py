from __future__ import annotations

from typing import Any

from rest_framework import serializers

from samdrift.core.api import ScopedSerializer, SharedChoiceField
from samdrift.servicedesk.filters import desk_users
from samdrift.servicedesk.models import (
    Attachment,
    Category,
    Comment,
    CommentKind,
    InboundMessage,
    KnowledgeArticle,
    Mailbox,
    SlaPolicy,
    SupportGroup,
    Ticket,
    TimeEntry,
    WorkType,
)

MAX_ID = 2**63 - 1


class CategorySerializer(ScopedSerializer):
    class Meta:
        model = Category
        fields = ["id", "owner", "parent", "name", "default_group", "offered_in_portal", "active"]
        read_only_fields = ["active"]


class SupportGroupSerializer(ScopedSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=desk_users(), help_text="User ids of service-desk staff."
    )

    class Meta:
        model = SupportGroup
        fields = ["id", "name", "email", "members", "active"]
        read_only_fields = ["active"]


class SlaPolicySerializer(ScopedSerializer):
    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "owner",
            "priority",
            "first_response_minutes",
            "resolution_minutes",
            "opens",
            "closes",
            "weekdays",
            "active",
        ]
        read_only_fields = ["active"]


class TicketSerializer(ScopedSerializer):
    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "owner",
            "subject",
            "description",
            "requester",
            "channel",
            "type",
            "category",
            "impact",
            "urgency",
            "priority",
            "status",
            "group",
            "assignee",
            "cost_centre",
            "assets",
            "confidential",
            "secrecy_ground",
            "merged_into",
            "created",
            "updated",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "first_response_breached",
            "resolution_breached",
            "sla_paused_seconds",
            "csat_score",
            "csat_comment",
        ]
        read_only_fields = [
            "number",
            "owner",
            "priority",
            "status",
            "merged_into",
            "created",
            "updated",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "first_response_breached",
            "resolution_breached",
            "sla_paused_seconds",
            "csat_score",
            "csat_comment",
        ]
        extra_kwargs = {"requester": {"required": False}}

    def build_model_fields(self) -> dict[str, serializers.Field]:
        fields = super().build_model_fields()
        assignee = fields.get("assignee")
        if isinstance(assignee, serializers.PrimaryKeyRelatedField) and not assignee.read_only:
            fields["assignee"] = SharedChoiceField(
                queryset=desk_users(), required=False, allow_null=True, label=assignee.label
            )
        requester = fields.get("requester")
        queryset = getattr(requester, "queryset", None)
        if isinstance(requester, serializers.PrimaryKeyRelatedField) and queryset is not None:
            # The acknowledgement is written in the requester's language: read their user with them.
            setattr(requester, "queryset", queryset.select_related("user"))  # noqa: B010
        return fields


class TicketUpdateSerializer(TicketSerializer):
    class Meta(TicketSerializer.Meta):
        read_only_fields = [*TicketSerializer.Meta.read_only_fields, "requester", "channel", "group", "assignee"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "ticket", "kind", "body", "author", "confidential", "secrecy_ground", "created"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
    kind = serializers.ChoiceField(choices=CommentKind.choices, default=CommentKind.REPLY)
    confidential = serializers.BooleanField(default=False)
    secrecy_ground = serializers.CharField(required=False, allow_blank=True, default="")


class TimeEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeEntry
        fields = ["id", "ticket", "owner", "user", "minutes", "billable", "work_type", "note", "date", "created"]
        read_only_fields = fields


class TimeEntryCreateSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    billable = serializers.BooleanField(default=True)
    work_type = serializers.ChoiceField(choices=WorkType.choices, default=WorkType.SUPPORT)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="A status, or `reopen` for a resolved ticket.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class AssignSerializer(serializers.Serializer):
    group = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)


class TicketRefSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(help_text="Id of the other ticket (same owner).", min_value=1, max_value=MAX_ID)


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=500)
    status = serializers.CharField(required=False, allow_blank=True, default="")
    group = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)


def plain(data: Any) -> dict[str, Any]:
    return dict(data)


class ArticleSerializer(ScopedSerializer):
    class Meta:
        model = KnowledgeArticle
        fields = ["id", "owner", "title", "body", "visibility", "category", "active", "updated"]
        read_only_fields = ["active", "updated"]


class MailboxSerializer(ScopedSerializer):
    """The password can be written, never read."""

    password = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)

    class Meta:
        model = Mailbox
        fields = [
            "id",
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
            "active",
            "last_polled_at",
            "last_uid",
            "last_error",
        ]
        read_only_fields = ["active", "last_polled_at", "last_uid", "last_error"]


class InboundMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "mailbox",
            "message_id",
            "sender",
            "subject",
            "size",
            "received_at",
            "status",
            "reason",
            "warnings",
            "attempts",
            "processed_at",
            "ticket",
            "comment",
        ]
        read_only_fields = fields


class RetrySerializer(serializers.Serializer):
    accept_defects = serializers.BooleanField(default=False)
    as_new_ticket = serializers.BooleanField(default=False)


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "ticket", "comment", "filename", "content_type", "size", "inline", "created"]
        read_only_fields = fields
