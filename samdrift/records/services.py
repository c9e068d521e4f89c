"""What other apps may read of records (read-only): the records officer's open work."""

from __future__ import annotations

from typing import Any

from samdrift.records.calendar import deadline_flag
from samdrift.records.models import AccessRequest, BatchStatus, DisposalBatch, RequestStatus


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
