"""The audit verbs of servicedesk (core/events.py): What happens to tickets, comments and received email.

An event's verb is the `verb=` its action passes to record_event, or its extra["action"]."""

from django.db import models


class ServicedeskVerb(models.TextChoices):
    ASSETS = "assets"
    ASSIGN = "assign"
    BREACHING_SOON = "breaching_soon"
    BULK_ASSIGN = "bulk_assign"
    COPY = "copy"
    DELETE = "delete"
    DEVICES = "devices"
    DISPOSE = "dispose"
    FIRST_RESPONSE = "first_response"
    LINK = "link"
    MERGE = "merge"
    MERGED_FROM = "merged_from"
    MERGED_INTO = "merged_into"
    PROCESS = "process"
    RATE = "rate"
    REOPEN = "reopen"
    SLA_BREACH = "sla_breach"
    STATUS = "status"
    UPDATE = "update"
