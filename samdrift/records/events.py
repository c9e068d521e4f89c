"""The audit verbs of records (core/events.py): What happens to the register, access requests, markings and archive exports.

An event's verb is the `verb=` its action passes to record_event, or its extra["action"]."""

from django.db import models


class RecordsVerb(models.TextChoices):
    ARCHIVE_DOWNLOAD = "archive_download"
    ATTACHMENT_DOWNLOAD = "attachment_download"
    FINISH_ARCHIVE_EXPORT = "finish_archive_export"
    LIFT = "lift"
    RECORD_REMOVED = "record_removed"
    RELEASE_PACKAGE = "release_package"
    RESTRICT = "restrict"
    START_ARCHIVE_EXPORT = "start_archive_export"
