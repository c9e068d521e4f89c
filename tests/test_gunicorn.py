"""The production web server starts: gunicorn's workers boot and answer (docs/operations.md).

A PDF warm-up in a background thread once raced the worker's own imports (openpyxl's package was
half-initialised in one thread when the other imported it) and every worker died at boot; nothing
in the suite ran gunicorn, so only a benchmark found it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gunicorn_workers_boot_and_answer(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "samdrift.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "SAMDRIFT_DEBUG": "1",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(gunicorn), "samdrift.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        answers: list[int] = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(answers) < 6 and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=30) as response:
                    answers.append(response.status)
                    json.loads(response.read())
            except urllib.error.HTTPError as error:  # 503: the database has no tables, no worker runs
                answers.append(error.code)
                json.loads(error.read())
            except (ConnectionError, TimeoutError, urllib.error.URLError):  # not listening yet, or booting
                time.sleep(0.3)
        text = log.read_text()
        assert server.poll() is None, text[-3000:]
        assert "Worker failed to boot" not in text and "Exception in worker process" not in text, text[-3000:]
        # Both workers answered: the health check's JSON, from Django, several times.
        assert len(answers) == 6 and set(answers) <= {200, 503}, (answers, text[-3000:])
    finally:
        server.terminate()
        server.wait(timeout=30)
