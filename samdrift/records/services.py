"""What records publishes for the other apps (DESIGN.md: nothing imports records but this).

An app whose objects are official records (tickets, invoices, device history) writes an adapter,
`<app>/records.py`: a `Source` that says how its objects are found by an access-request search,
shown part by part with their secrecy markings, and disposed of by the app's own do_dispose_*
action; and registers it from its AppConfig.ready():

    register_source(TicketSource())                    # searched and disposed of
    register_source(DeviceHistorySource(), searchable=False)   # disposed of by the plan only
"""

from typing import Any

from samdrift.records.calendar import deadline_flag
from samdrift.records.models import AccessRequest, BatchStatus, DisposalBatch, RequestStatus, SecrecyGround
from samdrift.records.sources import (
    DISPOSED,
    SEARCH_LIMIT,
    DisposalOnly,
    Hit,
    Part,
    Rendered,
    Source,
    delete_rows,
    marked_ids,
    register_source,
)
from samdrift.records.sources import _day_start as day_start
from samdrift.records.sources import _match as match_words
from samdrift.records.sources import _words as search_words

__all__ = [
    "DISPOSED",
    "SEARCH_LIMIT",
    "DisposalOnly",
    "Hit",
    "Part",
    "Rendered",
    "SecrecyGround",
    "Source",
    "day_start",
    "delete_rows",
    "get_records_officer_work",
    "marked_ids",
    "match_words",
    "register_source",
    "search_words",
]


def get_records_officer_work(user: Any, limit: int = 10) -> dict[str, Any]:
    """Open access requests (oldest first, each with its deadline flag: ok, warning after one
    working day, alarm after three) and the disposal batches waiting for a decision."""
    open_requests = AccessRequest.objects.for_user(user).filter(status=RequestStatus.OPEN)
    rows = list(open_requests.order_by("received", "id").only("id", "reference", "received", "requester_name")[:limit])
    for row in rows:
        row.deadline = deadline_flag(row.received, open_=True)  # type: ignore[attr-defined]
    return {
        "requests": open_requests.count(),
        "oldest": rows,
        "late": sum(1 for r in rows if getattr(r, "deadline", "ok") != "ok"),
        "batches": DisposalBatch.objects.for_user(user).filter(status=BatchStatus.PROPOSED).count(),
    }
