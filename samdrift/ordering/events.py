"""The audit verbs of ordering (core/events.py): What happens to orders, purchase orders and agreements.

An event's verb is the `verb=` its action passes to record_event, or its extra["action"]."""

from django.db import models


class OrderingVerb(models.TextChoices):
    APPROVE = "approve"
    CANCEL = "cancel"
    CONFIRMATION_FILE = "confirmation_file"
    DELIVER = "deliver"
    DELIVER_SERVICE = "deliver_service"
    EXPIRY_ALERT = "expiry_alert"
    FINISH = "finish"
    PURCHASE = "purchase"
    REAPPROVAL = "reapproval"
    REJECT = "reject"
    REMOVE_PACKAGE_LINE = "remove_package_line"
    RESEND = "resend"
    SENT = "sent"
