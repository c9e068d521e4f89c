"""A PostgreSQL cluster of the test's own (Debian's binaries, initdb into a temporary directory, a
free port in 55200-55299), which the test may restart and stop at will.

The port is reserved with a lock file for the cluster's life: `.ci/run` runs the SQLite and the
PostgreSQL suites at the same time, and both start the fault test first. Seeing a port free was
not enough: both saw 55200 free during the seconds initdb takes, and the second cluster could not
start (CI, 7 December 2026)."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PORTS = range(55200, 55300)


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


LOCKS = Path(tempfile.gettempdir())


def reserve_port(locks: Path = LOCKS) -> tuple[int, int]:
    """A port in PORTS that no other cluster of ours holds and nothing listens on, and the open lock
    file that holds it (closing it, or the process ending, gives the port back). `locks` is the
    folder of the lock files (the test of this function uses its own)."""
    for port in PORTS:
        try:
            fd = os.open(locks / f"samdrift-faults-port-{port}.lock", os.O_CREAT | os.O_RDWR, 0o666)
        except PermissionError:  # another user's lock file: that user's cluster may hold the port
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                os.close(fd)
                continue
        return port, fd
    raise RuntimeError("no free port in 55200-55299")


class Cluster:
    def __init__(self, root: Path) -> None:
        binaries = pg_bin()
        if binaries is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = binaries
        self.root = root
        self.data = root / "data"
        self.port, self._port_lock = reserve_port()
        self.log = root / "postgres.log"
        # PostgreSQL refuses to run as root: run it as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(root, "postgres")

    def _run(self, *args: str) -> None:
        try:
            subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=60)
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{Path(args[0]).name} failed (exit {exc.returncode}) on port {self.port}: "
                f"{exc.stderr.decode(errors='replace').strip()}\n{log}"
            ) from exc

    def release(self) -> None:
        """Give the port back (the cluster is stopped)."""
        if self._port_lock >= 0:
            os.close(self._port_lock)
            self._port_lock = -1

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                # a backend whose client was killed notices at once instead of at its next write
                "client_connection_check_interval = 500\n"
            )
        self.start()

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def restart(self) -> float:
        """Stop (dropping every connection) and start again; returns the seconds it was away."""
        started = time.monotonic()
        self.stop("fast")
        self.start()
        return time.monotonic() - started

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(self.bin.parent / "bin" / "psql"),
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
                self.url(database),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return out.stdout.strip()
