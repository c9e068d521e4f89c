"""The audit verbs of assets (core/events.py): What happens to devices, licences, imports and inventories.

An event's verb is the `verb=` its action passes to record_event, or its extra["action"]."""

from django.db import models


class AssetsVerb(models.TextChoices):
    ACCEPT = "accept"
    ASSIGN_LICENCE = "assign_licence"
    BULK_STATUS = "bulk_status"
    CHANGE_STATUS = "change_status"
    CHECK_ASSET_IMPORT = "check_asset_import"
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    CHOOSE_COLUMNS = "choose_columns"
    CREATE_AGENT_KEY = "create_agent_key"
    DISPOSE = "dispose"
    IMPORT = "import"
    INVENTORY = "inventory"
    LINK = "link"
    MOVE = "move"
    QUEUE_CHECK = "queue_check"
    QUEUE_IMPORT = "queue_import"
    TRIAGE = "triage"
    UPLOAD_ASSET_IMPORT = "upload_asset_import"
    WIFI_CHECK = "wifi_check"
