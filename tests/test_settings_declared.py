"""Every setting the code reads is declared in samdrift/settings.py, and every environment variable
settings.py reads is documented for the people who run Samdrift (README.md or docs/operations.md):
no setting only exists as a `getattr(settings, ..., default)` deep in an app."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CODE = ROOT / "samdrift"
# Read only by the test set-up (a file database for SQLite runs), never by an operator.
TEST_ONLY = {"SAMDRIFT_TEST_SQLITE"}


def _code() -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in CODE.rglob("*.py") if "migrations" not in path.parts]


def test_no_setting_is_read_with_a_default_of_its_own() -> None:
    hidden = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path, text in _code()
        for match in re.finditer(r"getattr\(\s*settings\s*,\s*\"[A-Z][A-Z0-9_]*\"\s*,", text)
    ]
    assert not hidden, hidden


def test_every_setting_the_code_reads_is_declared() -> None:
    names = {
        match.group(1)
        for path, text in _code()
        if path.name != "settings.py"
        for match in re.finditer(r"\bsettings\.([A-Z][A-Z0-9_]+)\b", text)
    }
    assert len(names) > 30  # the scan found the settings it is meant to check
    missing = sorted(name for name in names if not hasattr(settings, name))
    assert not missing, missing


def test_every_environment_variable_is_documented() -> None:
    source = (CODE / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r"os\.environ(?:\.get)?[(\[]\"([A-Z][A-Z0-9_]+)\"", source)) - TEST_ONLY
    assert len(variables) > 40
    documented = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "docs/operations.md").read_text(
        encoding="utf-8"
    )
    missing = sorted(name for name in variables if name not in documented)
    assert not missing, missing
