"""The web workers' objects loaded at start and warm-up leave the collector's generations
(samdrift/core/gc_tuning.py); collection itself stays on."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from django.core.signals import request_finished

from samdrift.core import gc_tuning


@pytest.mark.django_db  # request_finished also closes old database connections
def test_install_freezes_now_after_the_first_request_and_after_warm_up(monkeypatch: Any) -> None:
    freezes: list[int] = []
    monkeypatch.setattr(gc_tuning, "_served", 0)
    monkeypatch.setattr(gc_tuning, "SETTLE_REQUESTS", 5)
    monkeypatch.setattr(gc_tuning, "freeze", lambda: freezes.append(gc_tuning._served))
    gc_tuning.install()
    try:
        for _ in range(8):
            request_finished.send(sender=None)
    finally:
        request_finished.disconnect(dispatch_uid="samdrift-gc-freeze")
    assert freezes == [0, 1, 5]  # at start, after the first request, after warm-up; never again
    assert gc.isenabled()


def test_freezing_moves_live_objects_to_the_permanent_generation() -> None:
    before = gc.get_freeze_count()
    kept = [{"n": n} for n in range(1000)]
    try:
        gc_tuning.freeze()
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()


def test_the_wsgi_application_installs_it() -> None:
    import importlib

    import samdrift.wsgi

    try:
        importlib.reload(samdrift.wsgi)
        assert any("samdrift-gc-freeze" in str(entry[0]) for entry in request_finished.receivers)
    finally:
        request_finished.disconnect(dispatch_uid="samdrift-gc-freeze")
        gc.unfreeze()
