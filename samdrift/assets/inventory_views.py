"""The HTTP endpoint inventory agents talk to: /inventory/<agent key>/ (no session, no CSRF).

The key in the URL names the owner. Every payload from a known key is stored before it is read;
whatever it holds, the answer is a reply the agent understands or a clear 4xx, never a 500.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from samdrift.assets import inventory

log = logging.getLogger(__name__)


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def inventory_endpoint(request: HttpRequest, key: str) -> HttpResponse:
    if request.method != "POST":
        response = _text(_("Inventory agents POST here (FusionInventory / OCS protocol)."), 405)
        response["Allow"] = "POST"
        return response
    agent_key = inventory.find_agent_key(key)
    if agent_key is None:
        return _text(_("Unknown or inactive agent key."), 403)
    limit = inventory.max_upload_bytes()
    try:
        raw = request.read(limit + 1)
    except OSError:
        return _text(_("The request body could not be read."), 400)
    truncated = len(raw) > limit
    upload = inventory.do_receive_inventory_upload(
        agent_key,
        raw[:limit],
        truncated=truncated,
        content_type=request.META.get("CONTENT_TYPE", ""),
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    try:
        body, compressed = inventory.process_upload(upload)
    except inventory.InventoryError as exc:
        return _text(str(exc), exc.status)
    except Exception:  # the payload is kept; a bug of ours must not become a 500 for the agent
        log.exception("inventory upload %s could not be processed", upload.pk)
        return _text(_("The inventory could not be processed; it has been kept for inspection."), 422)
    return HttpResponse(
        inventory.encode_reply(body, compressed),
        content_type="application/x-compress-zlib" if compressed else "application/xml",
    )
