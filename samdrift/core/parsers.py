"""The API's parsers: DRF's three, refusing a NUL character anywhere in a request.

Named by settings (`DEFAULT_PARSER_CLASSES`) and by the views that choose their own parsers; a
module of its own because DRF's views read that setting when they are imported.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


def refuse_nul(value: Any) -> Any:
    """A NUL character in any text of a request (a value or a key) is a 400.

    PostgreSQL cannot hold NUL in text, so such a value reaching a query was a server error
    there (and a silently different result on SQLite). DRF's own CharField refuses it; this holds
    for every other field and every value a view reads itself (codes, slugs, lookups)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise exceptions.ParseError(_("The request holds a NUL character, which no text may contain."))
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key)
            refuse_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_nul(item)
    elif hasattr(value, "lists"):  # QueryDict / MultiValueDict
        for key, items in value.lists():
            refuse_nul(key)
            for item in items:
                refuse_nul(item)
    return value


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return refuse_nul(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return refuse_nul(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_nul(parsed.data)  # file names: Django's multipart parser already drops a NUL
        return parsed
