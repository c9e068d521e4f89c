"""The audit verbs of take-back (core/events.py): batches, pickup orders, partner reports, certificates.

An event's verb is the `verb=` its action passes to record_event, or its extra["action"]."""

from django.db import models


class CircularVerb(models.TextChoices):
    APPLY_REPORT = "apply_report"
    ATTACH_PARTNER_CERTIFICATE = "attach_partner_certificate"
    CHECK_REPORT = "check_report"
    DISPOSE = "dispose"
    ORDER_PICKUP = "order_pickup"
    REMOVE_FROM_BATCH = "remove_from_batch"
    RESEND_PICKUP_ORDER = "resend_pickup_order"
    REPORT_LOSS = "report_loss"
    LEFT_BATCH_LOST = "left_batch_lost"
    MOVED_TO_NEW_BATCH = "moved_to_new_batch"
    RESOLVE = "resolve"
    TAKEBACK_CLOSED = "takeback_closed"
    UPLOAD_REPORT = "upload_report"
