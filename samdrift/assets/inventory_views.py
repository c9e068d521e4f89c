"""The HTTP endpoint inventory agents talk to: /inventory/<agent key>/ (no session, no CSRF).

The key in the URL names the owner. Every payload from a known key is stored before it is read;
whatever it holds, the answer is a reply the agent understands or a clear 4xx, never a 500. While
the database is away the agent gets a 503 with Retry-After: it keeps its inventory and sends it
again, and what was stored before the database went away is processed by the retry task.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from samdrift.assets import inventory

log = logging.getLogger(__name__)


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _unavailable(message: str) -> HttpResponse:
    response = _text(message, 503)
    response["Retry-After"] = str(settings.SAMDRIFT_INVENTORY_RETRY_AFTER)
    return response


@csrf_exempt
def inventory_endpoint(request: HttpRequest, key: str) -> HttpResponse:
    if request.method != "POST":
        response = _text(_("Inventory agents POST here (FusionInventory / OCS protocol)."), 405)
        response["Allow"] = "POST"
        return response
    try:
        agent_key = inventory.find_agent_key(key)
    except (OperationalError, InterfaceError):
        log.warning("inventory: database unavailable, upload refused with 503", exc_info=True)
        return _unavailable(_("The database is unavailable; nothing was received. Send the inventory again later."))
    if agent_key is None:
        return _text(_("Unknown or inactive agent key."), 403)
    limit = inventory.max_upload_bytes()
    try:
        raw = request.read(limit + 1)
    except OSError:
        return _text(_("The request body could not be read."), 400)
    truncated = len(raw) > limit
    try:
        upload = inventory.do_receive_inventory_upload(
            agent_key,
            raw[:limit],
            truncated=truncated,
            content_type=request.META.get("CONTENT_TYPE", ""),
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
    except (OperationalError, InterfaceError):
        log.warning("inventory: database unavailable, upload refused with 503", exc_info=True)
        return _unavailable(_("The database is unavailable; nothing was received. Send the inventory again later."))
    try:
        body, compressed = inventory.process_upload(upload)
    except inventory.InventoryError as exc:
        return _text(str(exc), exc.status)
    except (OperationalError, InterfaceError):
        # Stored before the database went away: the retry task processes it, and a repeat the agent
        # sends meanwhile is applied in order (the newer wins), so nothing is lost or rolled back.
        log.warning("inventory upload %s: database unavailable while processing", upload.pk, exc_info=True)
        return _unavailable(_("The database became unavailable; the inventory was kept and will be processed."))
    except Exception:  # the payload is kept; a bug of ours must not become a 500 for the agent
        log.exception("inventory upload %s could not be processed", upload.pk)
        return _text(_("The inventory could not be processed; it has been kept for inspection."), 422)
    return HttpResponse(
        inventory.encode_reply(body, compressed),
        content_type="application/x-compress-zlib" if compressed else "application/xml",
    )
