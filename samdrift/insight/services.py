"""What other apps (and the project's wiring) may call in insight; nothing imports insight otherwise.

- `register_circular_source(fn)`: the circular capability adds take-back credits and CO2e avoided
  per owner and month (see insight/hooks.py).
- `request_refresh()`: after an event that changes the figures (a billing period closed, a batch
  of credits booked), refresh the current and the previous month when the transaction commits.
- `register_api(router)`: insight's API routes on the project's router.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from samdrift.insight.hooks import CircularSource
from samdrift.insight.hooks import register_circular_source as _register


def register_circular_source(source: CircularSource) -> None:
    _register(source)


def request_refresh() -> None:
    def enqueue() -> None:
        from samdrift.insight.tasks import refresh_recent_task

        refresh_recent_task.enqueue()

    transaction.on_commit(enqueue, robust=True)


def register_api(router: Any) -> None:
    from samdrift.insight import api

    api.register(router)
