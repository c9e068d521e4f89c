"""Other database connections for tests of locks (PostgreSQL: in-memory SQLite, the test database,
cannot hold concurrent writers): work side by side, and a transaction held open meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction


def run_side_by_side(work: Callable[[], None], threads: int) -> list[BaseException]:
    """`work` in `threads` threads let go together, each on its own connection; what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def one() -> None:
        try:
            start.wait(30)
            work()
        except BaseException as exc:  # reported to the caller
            errors.append(exc)
        finally:
            connection.close()  # this thread's own

    running = [threading.Thread(target=one) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(120)
    return errors


@contextmanager
def held_in_another_transaction(take: Callable[[], None]) -> Iterator[None]:
    """`take` run in a transaction of another connection, which stays open (with whatever it
    locked) until the block ends, and then commits."""
    holding, release = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                take()
                holding.set()
                release.wait(60)
        except BaseException as exc:
            failed.append(exc)
            holding.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(30) and not failed, failed
        yield
    finally:
        release.set()
        thread.join(60)
