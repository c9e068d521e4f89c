"""What records publishes for the other apps (DESIGN.md: nothing imports records but this).

An app whose objects are official records (tickets, invoices, device history) writes an adapter,
`<app>/records.py`: a `Source` that says how its objects are found by an access-request search,
shown part by part with their secrecy markings, and disposed of by the app's own do_dispose_*
action; and registers it from its AppConfig.ready():

    register_source(TicketSource())                    # searched and disposed of
    register_source(DeviceHistorySource(), searchable=False)   # disposed of by the plan only
"""

from samdrift.records.models import SecrecyGround
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
    "marked_ids",
    "match_words",
    "register_source",
    "search_words",
]
