"""A pytest plugin that writes a timeline of the run: when each test started and ended on each
xdist worker, with the worker process's CPU time, one JSON line per event in
`$SAMDRIFT_TIMELINE_DIR/tl-<worker>.jsonl` (default var/timeline/). docs/testing.md
("Where the time goes") was measured with it:

    PYTHONPATH=scripts make test TEST_DB=--create-db PYTEST_ARGS="-p pytest_timeline"

Beside it, `vmstat -n 1 > vmstat.log` shows whether the cores were busy.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, TextIO

_out: TextIO | None = None


def _write(event: str, **fields: Any) -> None:
    global _out
    if _out is None:
        folder = Path(
            os.environ.get("SAMDRIFT_TIMELINE_DIR") or Path(__file__).resolve().parent.parent / "var" / "timeline"
        )
        folder.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _out = (folder / f"tl-{worker}.jsonl").open("a", buffering=1)
    _out.write(json.dumps({"ev": event, "t": time.time(), "cpu": time.process_time(), **fields}) + "\n")


def pytest_sessionstart(session: Any) -> None:
    _write("sessionstart")


def pytest_collection_finish(session: Any) -> None:
    _write("collected")


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _write("start", id=nodeid)


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    _write("end", id=nodeid)


def pytest_sessionfinish(session: Any) -> None:
    _write("sessionfinish")
