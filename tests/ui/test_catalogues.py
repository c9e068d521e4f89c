"""One translation per msgid. Django looks a msgid up in the global catalogue (`LOCALE_PATHS`)
before any app's, so when the global and an app catalogue translate the same msgid differently the
app's translation is silently never shown (an access request's requester read "Anmälare", the
service desk's word, instead of "Sökande"). A msgid that needs two translations needs a context
(`pgettext`)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from samdrift.records.models import AccessRequest

ROOT = Path(__file__).resolve().parents[2] / "samdrift"


def read_po(path: Path) -> dict[tuple[str, str], str]:
    """(msgctxt, msgid) → msgstr for every translated, non-fuzzy entry of a .po file."""
    entries: dict[tuple[str, str], str] = {}
    current: dict[str, str] = {}
    field = ""
    fuzzy = False

    def flush() -> None:
        nonlocal current, fuzzy
        msgid = current.get("msgid", "")
        msgstr = current.get("msgstr", current.get("msgstr[0]", ""))
        if msgid and msgstr and not fuzzy:
            entries[(current.get("msgctxt", ""), msgid)] = msgstr
        current = {}
        fuzzy = False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            current[field] += ast.literal_eval(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt" and "msgid" in current:
            flush()
        field = keyword
        current[field] = ast.literal_eval(rest)
    flush()
    return entries


def catalogues(language: str) -> dict[str, dict[tuple[str, str], str]]:
    found = {"global": read_po(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")}
    for path in sorted(ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po")):
        found[path.parts[-5]] = read_po(path)
    return found


@pytest.mark.parametrize("language", ["sv"])
def test_no_msgid_is_translated_differently_in_two_catalogues(language: str) -> None:
    translations: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name, entries in catalogues(language).items():
        for key, msgstr in entries.items():
            translations[key][msgstr].add(name)
    clashes = {key: dict(found) for key, found in translations.items() if len(found) > 1}
    assert clashes == {}, "\n".join(
        f"{ctx + ' | ' if ctx else ''}{msgid!r}: " + "; ".join(f"{s!r} in {sorted(c)}" for s, c in found.items())
        for (ctx, msgid), found in sorted(clashes.items())
    )


def test_the_reader_sees_a_clash() -> None:
    """The parser reads multi-line entries and contexts, so the check above can fail."""
    entries = read_po(ROOT / "records" / "locale" / "sv" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    assert all(msgstr for msgstr in entries.values())


@pytest.mark.django_db
def test_an_access_request_names_its_requester_in_records_words(world: Any, web: Any) -> None:
    request = AccessRequest.objects.get()
    html = web(world.records).get(request.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Sökande" in html
    assert "Anmälare" not in html
    assert "Handling" in html and "Registrera" not in html
