"""A finished list export of a user of owner B, holding B's marker, so that the isolation test
tries the export's page and file as owner A's users."""

from __future__ import annotations

from typing import Any

from samdrift.core.actions import do_finish_export, do_start_export


def extend(world: Any) -> None:
    b = world.b
    job = do_start_export("person_list", {}, "csv", "Personer", actor=b.viewer)
    do_finish_export(job, f"Namn\n{b.marker}\n".encode(), 1, "person.csv", "tenancy.person")
    b.extra["export"] = job
