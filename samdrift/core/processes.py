"""What keeps the worker and the scheduler alive (DESIGN.md rule 9): heartbeats and a lost
database treated as a pause, never as a reason to exit.

A PostgreSQL restart, a failover or a network blip makes every query fail for a few seconds. The
processes log it, close their connections, wait (0.5 s, doubling up to 30 s) and try again; their
heartbeat row records how often that happened and the last problem, which the operations page
shows once the database is back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone

from samdrift.core.models import ProcessHeartbeat

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


def process_name(kind: str) -> str:
    """Unique per process and readable: kind, host, pid."""
    return f"{kind}-{socket.gethostname()}-{os.getpid()}"[:64]


def close_connections() -> None:
    """Drop this thread's connections so that the next query opens a new one."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # noqa: S110 - a connection to a database that is gone cannot close cleanly
            pass


class Backoff:
    """0.5 s, 1 s, 2 s, ... up to `ceiling`; reset after a success."""

    def __init__(self, first: float = 0.5, ceiling: float = 30.0) -> None:
        self.first, self.ceiling, self.delay = first, ceiling, first

    def next(self) -> float:
        delay = self.delay
        self.delay = min(self.ceiling, self.delay * 2)
        return delay

    def reset(self) -> None:
        self.delay = self.first


class Heartbeat:
    """One process's heartbeat row, and what it went through while the database was away."""

    def __init__(self, kind: str, name: str = "") -> None:
        self.kind = kind
        self.name = name or process_name(kind)
        self.started = timezone.now()
        self.reconnects = 0
        self.problem = ""
        self.problem_at: datetime | None = None
        self.outage_since: float | None = None
        self._lock = threading.Lock()

    def beat(self) -> None:
        """Write the heartbeat (raises when the database is away)."""
        with self._lock:
            defaults = {
                "kind": self.kind,
                "host": socket.gethostname()[:100],
                "pid": os.getpid(),
                "started": self.started,
                "last_seen": timezone.now(),
                "stopped": None,
                "reconnects": self.reconnects,
                "last_error": self.problem[:500],
                "last_error_at": self.problem_at,
            }
        ProcessHeartbeat.objects.update_or_create(name=self.name, defaults=defaults)

    def lost(self, exc: BaseException) -> None:
        """The database is away: remember it (written with the next heartbeat that succeeds)."""
        with self._lock:
            if self.outage_since is None:
                self.outage_since = time.monotonic()
                self.problem_at = timezone.now()
                log.warning("%s: database connection lost (%s); retrying", self.name, str(exc).strip()[:200])
            self.problem = f"database unavailable: {str(exc).strip()[:200]}"

    def recovered(self) -> None:
        """A query succeeded after an outage: count the reconnect and say how long it took."""
        with self._lock:
            if self.outage_since is None:
                return
            seconds = time.monotonic() - self.outage_since
            self.outage_since = None
            self.reconnects += 1
            self.problem = f"database unavailable for {seconds:.1f} s; reconnected"
        log.warning("%s: database connection back after %.1f s", self.name, seconds)

    def stop(self) -> None:
        try:
            ProcessHeartbeat.objects.filter(name=self.name).update(stopped=timezone.now(), last_seen=timezone.now())
        except TRANSIENT_ERRORS:
            pass

    def run_in_thread(self, interval: float | None = None) -> threading.Event:
        """Beat from a thread (for a process whose main loop may be busy for minutes); set the
        returned event to stop."""
        stop = threading.Event()
        every = interval or settings.SAMDRIFT_HEARTBEAT_SECONDS

        def loop() -> None:
            try:
                while True:
                    try:
                        self.beat()
                        self.recovered()
                    except TRANSIENT_ERRORS as exc:
                        self.lost(exc)
                        close_connections()
                    if stop.wait(every):
                        return
            finally:
                close_connections()

        threading.Thread(target=loop, name=f"heartbeat-{self.name}", daemon=True).start()
        return stop
