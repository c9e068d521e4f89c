"""Faults, for real: a PostgreSQL cluster of the test's own, the real worker and two schedulers
(one started by mistake) as processes, the worker killed with SIGKILL in the middle of each kind of
job (a billing run, an asset dry run and an asset import, a people import, a price-list import and
an archive export), PostgreSQL restarted under load, and a real SMTP server (aiosmtpd) stopped
while mail is queued and started again.

Afterwards nothing is stuck, nothing is duplicated, every process is back at work without a hand
(a killed worker is restarted as systemd's Restart=always would) and the operations data says what
happened. A job is caught in the middle by a table lock the test holds, so it is killed while it
provably runs, without any hook in the code under test.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.faults.cluster import Cluster, pg_bin, reserve_port
from tests.smtpserver import SmtpServer

REPO = Path(__file__).resolve().parent.parent

# Short enough for a test: a lease of 2 s, the sweep every second, heartbeats twice a second and
# a process silent for 3 s counted as gone.
TIMINGS = {
    "SAMDRIFT_JOB_LEASE_SECONDS": "2",
    "SAMDRIFT_SWEEP_SECONDS": "1",
    "SAMDRIFT_HEARTBEAT_SECONDS": "0.5",
    "SAMDRIFT_SILENT_SECONDS": "3",
}


IMPORT_TASK = "samdrift.core.tasks.run_import_job"
SMTP_PORTS = range(56000, 56100)  # this test's port range


class Driver:
    """tests/faults/driver.py as a process: one JSON command in, one JSON answer out."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.driver"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
        )
        self.answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(line)

    def __call__(self, op: str, **kwargs: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.answers.get(timeout=90))
        return answer

    def ok(self, op: str, **kwargs: Any) -> dict[str, Any]:
        answer = self(op, **kwargs)
        assert "error" not in answer, answer
        return answer

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.started = env, logs, 0
        self.all: list[subprocess.Popen[bytes]] = []

    def start(self, *command: str) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"{self.started:02d}-{command[0]}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.all.append(process)
        return process

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "--queue-name", "*", "--interval", "0.2", "--no-startup-delay")

    def stop_all(self) -> None:
        for process in self.all:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.all:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if pg_bin() is None:  # CI has them (Debian's postgresql package); say so loudly rather than skip
        pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="samdrift-faults-"))
    cluster = Cluster(root)
    try:
        cluster.init()
        try:
            yield cluster
        finally:
            cluster.stop("immediate")
    finally:
        cluster.release()
        subprocess.run(["rm", "-rf", str(root)], check=False)


def test_two_clusters_never_get_the_same_port(tmp_path: Path) -> None:
    """The port is held from the start (a lock file), not only seen free: two clusters set up at
    the same moment, as the SQLite and PostgreSQL suites of CI do, get different ports, and a port
    given back is free again. The lock files are this test's own, so that the other suite's
    cluster cannot take a port between the two steps."""
    first, held = reserve_port(tmp_path)
    try:
        second, other = reserve_port(tmp_path)
        os.close(other)
        assert second != first
    finally:
        os.close(held)
    fd = os.open(tmp_path / f"samdrift-faults-port-{first}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # given back: free to take
    finally:
        os.close(fd)


def holders(state: dict[str, Any], path: str) -> list[int]:
    """The process ids of the workers whose rows say they run the task (worker names end in their pid)."""
    running = [t for t in task_of(state, path) if t["status"] == "RUNNING"]
    return [int(t["worker_ids"][-1].rsplit("-", 1)[1]) for t in running]


class TableLock:
    """Hold an exclusive lock on a table so that the job touching it waits there, mid-way."""

    def __init__(self, url: str, table: str) -> None:
        self.conn = psycopg.connect(url)
        self.conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def task_of(state: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [t for t in state["tasks"] if t["task_path"] == path]


@pytest.mark.long(50)
def test_killed_workers_and_a_restarted_database_leave_nothing_stuck(cluster: Cluster) -> None:
    started = time.monotonic()
    cluster.psql("CREATE DATABASE samdrift")
    url = cluster.url("samdrift")
    logs = cluster.root / "logs"
    logs.mkdir()
    smtp = SmtpServer(SMTP_PORTS)
    smtp.start()
    env = {
        **os.environ,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "3",
        "SAMDRIFT_OUTBOX_RETRY_SECONDS": "1",
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "samdrift.settings",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **TIMINGS,
    }
    driver = Driver({**env, "DJANGO_SETTINGS_MODULE": "tests.faults.settings"}, logs / "driver.log")
    procs = Processes(env, logs)
    try:
        driver.ok("schema")
        driver.ok("setup")
        schedulers = [procs.start("scheduler", "--poll", "0.5") for _ in range(2)]
        # Two workers, as in production (samdrift-worker@1, @2): the one running the job is killed,
        # the other carries on at once while the killed one is restarted.
        workers = {p.pid: p for p in (procs.worker(), procs.worker())}

        def kill_holder(path: str) -> None:
            # A task row of an earlier killed worker may still read RUNNING until the sweep fails it:
            # wait for the one a live worker holds.
            pid = wait_for(
                "a worker to run " + path,
                lambda: next((p for p in holders(driver.ok("state"), path) if p in workers), None),
            )
            time.sleep(0.3)  # the task takes its lease as it starts
            process = workers.pop(pid)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            replacement = procs.worker()
            workers[replacement.pid] = replacement

        wait_for("worker and scheduler heartbeats", lambda: driver.ok("state")["health"]["ok"], timeout=240)

        def quiet() -> bool:
            # Nothing queued and nothing running in a live worker: the periodic tasks the schedulers
            # queue at start (insight's refresh reads the invoice lines) must not be the ones that
            # wait behind the lock below, or both workers wait there and the job never starts.
            state = driver.ok("state")
            return not [
                t
                for t in state["tasks"]
                if t["status"] == "READY"
                or (
                    t["status"] == "RUNNING"
                    and bool(t["worker_ids"])
                    and int(t["worker_ids"][-1].rsplit("-", 1)[1]) in workers
                )
            ]

        def lock_table(table: str) -> TableLock:
            wait_for("the queue to be quiet before locking " + table, quiet)
            return TableLock(url, table)

        # 1. A billing run killed in the middle: failed by the sweep, rerun at once, closed-ready.
        lock = lock_table("billing_invoiceline")
        run_id = driver.ok("run_billing")["run"]
        wait_for("the run to be under way", lambda: driver.ok("state")["runs"][-1]["status"] == "running")
        kill_holder("samdrift.billing.tasks.run_billing")
        lock.release()
        run = wait_for(
            "the sweep to fail the abandoned run",
            lambda: (
                next(r for r in driver.ok("state")["runs"] if r["pk"] == run_id)["status"] == "failed"
                and next(r for r in driver.ok("state")["runs"] if r["pk"] == run_id)
            ),
        )
        assert run["expired_at"] and "Kör den igen" in run["message"], run
        wait_for(
            "the killed worker's task row to be failed",
            lambda: (
                [t["exception_class_path"] for t in task_of(driver.ok("state"), "samdrift.billing.tasks.run_billing")]
                == ["samdrift.core.jobs.WorkerLost"]
            ),
        )
        rerun_id = driver.ok("run_billing")["run"]  # not refused as "already under way"
        wait_for("the rerun to finish", lambda: driver.ok("state")["runs"][-1]["status"] == "done")
        after_billing = driver.ok("state")
        assert [r["pk"] for r in after_billing["runs"]] == [run_id, rerun_id]
        assert after_billing["invoices"] == 2  # one per owner: the killed run left nothing behind

        # 2. The asset dry run killed in the middle: marked as an error, checked again.
        lock = lock_table("assets_asset")
        assert driver.ok("check_import")["status"] == "checking"
        kill_holder(IMPORT_TASK)
        lock.release()
        imported = wait_for(
            "the sweep to stop the abandoned dry run",
            lambda: (i := driver.ok("state")["import"])["status"] == "error" and i,
        )
        assert imported["expired"] and "igen" in imported["message"], imported
        driver.ok("check_import")
        wait_for("the dry run again", lambda: driver.ok("state")["import"]["status"] == "validated")

        # 3. The import (one transaction) killed in the middle: nothing written, importable again.
        lock = lock_table("assets_asset")
        assert driver.ok("commit_import")["status"] == "committing"
        kill_holder(IMPORT_TASK)
        lock.release()
        imported = wait_for(
            "the sweep to put the abandoned import back",
            lambda: (i := driver.ok("state")["import"])["expired"] and i["status"] == "validated" and i,
        )
        assert "ingenting importerades" in imported["message"], imported
        assert driver.ok("state", assets=True)["assets"] == 0  # all or nothing
        driver.ok("commit_import")
        wait_for("the import again", lambda: driver.ok("state")["import"]["status"] == "committed")
        assert driver.ok("state", assets=True)["assets"] == 40  # every row once

        # 4. The people import's dry run killed in the middle (a job since it is large): checked again,
        # then imported as a job.
        lock = lock_table("tenancy_person")
        assert driver.ok("people_check")["status"] == "checking"
        kill_holder(IMPORT_TASK)
        lock.release()
        people = wait_for(
            "the sweep to stop the abandoned people dry run",
            lambda: (p := driver.ok("state")["people"])["status"] == "error" and p,
        )
        assert people["expired"] and "igen" in people["message"], people
        driver.ok("people_check")
        wait_for("the people dry run again", lambda: driver.ok("state")["people"]["status"] == "validated")
        driver.ok("people_commit")
        wait_for("the people import", lambda: driver.ok("state")["people"]["status"] == "committed")
        assert driver.ok("state", persons=True)["persons"] == 60  # every row once

        # 5. A price list applied as a job, killed in the middle: no price changed, applied again.
        assert driver.ok("price_check")["status"] == "checking"
        wait_for("the price-list dry run", lambda: driver.ok("state")["prices"][-1]["status"] == "checked")
        lock = lock_table("ordering_agreementarticle")
        assert driver.ok("price_apply")["status"] == "applying"
        kill_holder(IMPORT_TASK)
        lock.release()
        price = wait_for(
            "the sweep to put the abandoned price list back",
            lambda: (p := driver.ok("state")["prices"][-1])["expired"] and p["status"] == "checked" and p,
        )
        assert "ingenting importerades" in price["message"], price
        assert driver.ok("state", articles=True)["articles"] == 0  # all or nothing
        driver.ok("price_apply")
        wait_for("the price list again", lambda: driver.ok("state")["prices"][-1]["status"] == "imported")
        assert driver.ok("state", articles=True)["articles"] == 30

        # 6. An archive export killed while it packs: failed by the sweep, a new one is built.
        lock = lock_table("records_case")
        driver.ok("archive_export")
        wait_for("the export to be under way", lambda: driver.ok("state")["exports"][-1]["status"] == "running")
        kill_holder("samdrift.records.tasks.build_archive_export_task")
        lock.release()
        export = wait_for(
            "the sweep to fail the abandoned export",
            lambda: (e := driver.ok("state")["exports"][-1])["status"] == "failed" and e["expired"] and e,
        )
        assert "exporten" in export["message"].lower() or "paket" in export["message"].lower(), export
        driver.ok("archive_export")
        wait_for("the new export", lambda: driver.ok("state")["exports"][-1]["status"] == "done")

        # 7. The mail server goes away while mail is queued, then comes back: every message is
        # delivered once, none is lost, and the outbox says what happened.
        smtp.stop()
        driver.ok("queue_mail", n=10, tag="Under avbrottet")
        failed = wait_for(
            "the sender to meet the stopped server",
            lambda: (
                (m := [x for x in driver.ok("state")["mail"] if x["subject"].startswith("Under avbrottet")])
                and all(x["attempts"] >= 1 and x["status"] != "sent" and x["last_error"] for x in m)
                and m
            ),
        )
        assert len(failed) == 10
        assert driver.ok("state")["outbox"]["last_failure"]["last_error"], "the operations data names the failure"
        smtp.start()
        time.sleep(1.1)  # the first retry is due (SAMDRIFT_OUTBOX_RETRY_SECONDS)
        driver.ok("queue_mail", n=1, tag="Efter avbrottet")  # new mail wakes the sender at once
        mail = wait_for(
            "every message to go out",
            lambda: (m := driver.ok("state")["mail"]) and all(x["status"] == "sent" for x in m) and m,
            timeout=60,
        )
        wanted = sorted(x["subject"] for x in mail if x["subject"].startswith(("Under avbrottet", "Efter avbrottet")))
        got = sorted(s for s in smtp.subjects if s.startswith(("Under avbrottet", "Efter avbrottet")))
        assert got == wanted and len(got) == 11, (got, wanted)  # nothing lost, nothing twice

        # 8. PostgreSQL restarted under load: the queue drains, nobody exits, the heartbeats say so.
        load = set(driver.ok("load", n=30)["tasks"])
        away = cluster.restart()
        state = wait_for(
            "the queue to drain after the restart",
            lambda: (
                (s := driver("state")).get("tasks")
                and all(t["status"] in ("SUCCESSFUL", "FAILED") for t in s["tasks"] if t["id"] in load)
                and s
            ),
        )
        outcomes = [t["status"] for t in state["tasks"] if t["id"] in load]
        # What failed is at most the task each worker was running when the database went away:
        # two workers, so two (CI, 8 December 2026: both were mid-task at the restart).
        assert outcomes.count("FAILED") <= len(workers) and len(outcomes) == 30, outcomes
        assert all(p.poll() is None for p in [*workers.values(), *schedulers]), "a process exited"
        beats = wait_for(
            "every live process to report its reconnect",
            lambda: (
                (
                    b := {
                        h["name"]: h
                        for h in driver.ok("state")["heartbeats"]
                        if h["reconnects"] >= 1 and "reconnected" in h["last_error"]
                    }
                )
                and len(b) >= 3
                and b
            ),
        )
        assert {h["kind"] for h in beats.values()} == {"worker", "scheduler"}

        # 9. Afterwards: nothing stuck, nothing twice, and the operations data tells the story.
        final = wait_for("a healthy state", lambda: (s := driver.ok("state"))["health"]["ok"] and s)
        assert not [t for t in final["tasks"] if t["status"] in ("RUNNING", "READY")], final["tasks"]
        assert final["queue"]["lost_day"] == 6  # the six tasks of the killed workers
        jobs = {row["kind"]: row for row in final["jobs"]}
        assert jobs["billing.run"]["running"] == 0 and jobs["billing.run"]["problems"] == 1
        for kind in ("assets.import", "tenancy.import", "ordering.price_import", "records.archive_export"):
            assert jobs[kind]["running"] == 0 and jobs[kind]["overdue"] == 0, jobs[kind]
        assert jobs["records.archive_export"]["problems"] == 1
        assert final["outbox"]["counts"]["failed"] == 0 and final["outbox"]["given_up"] == 0
        live = {f"-{pid}" for pid in workers}
        beating = wait_for(
            "the restarted workers to be at work",
            lambda: (
                (b := [h["name"] for h in driver.ok("state")["heartbeats"] if h["kind"] == "worker"])
                and {name[name.rindex("-") :] for name in b} >= live
                and b
            ),
        )
        assert len(beating) == 8  # six killed (silent now) and the two at work
        periodic = {p["name"] for p in final["periodic"]}
        assert "core-sweep-jobs" in periodic
        for name in periodic - {"core-sweep-jobs"}:
            path = {
                "verify-audit-chain": "samdrift.core.tasks.verify_audit_chain",
                "assets-retry-inventory": "samdrift.assets.tasks.retry_inventory_uploads",
                "servicedesk-sla-check": "samdrift.servicedesk.tasks.check_sla_task",
            }.get(name)
            if path:  # two schedulers, a restart: still enqueued once (verify-audit-chain: plus the load)
                expected = 1 + (len(load) if name == "verify-audit-chain" else 0)
                assert len(task_of(final, path)) == expected, name
        assert away < 30
    except BaseException:  # show the processes' own account of the failure
        procs.stop_all()
        for log in sorted(logs.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        procs.stop_all()
        driver.close()
        smtp.close()
    print(f"fault test took {time.monotonic() - started:.1f} s")
