"""The demo data's readers (tests that ask for `demo_data`, tests/conftest.py) form one xdist group:
with `--dist loadgroup`, as `make test` runs, they all go to one worker, which builds the demo once
for all of them instead of once per worker.

A plugin of its own because the group markers must be on the items before xdist's own
`pytest_collection_modifyitems` reads them, while conftest.py's sort runs after pytest-django's."""

from __future__ import annotations

import pytest

GROUP = "demo-data"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "demo_data" not in names:
            continue
        if "world" in names:
            raise pytest.UsageError(f"{item.nodeid}: the world and the demo data are never in the database together")
        item.add_marker(pytest.mark.xdist_group(GROUP))
