from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _tasks_run_in_tests(settings: Any) -> None:
    """Work queued on commit (certificate rendering) is not run by tests unless they ask."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
