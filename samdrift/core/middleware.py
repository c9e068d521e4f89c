"""Request id for structured logs and audit events."""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar
from typing import Any

from django.utils.cache import patch_vary_headers

_request: ContextVar[Any] = ContextVar("samdrift_request", default=None)


def current_request() -> Any:
    return _request.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request()
        record.request_id = getattr(request, "request_id", "-") if request else "-"
        return True


class SwedishFirstLocaleMiddleware:
    """Swedish unless the user chose another language with the switch (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; municipal staff with an
    English browser should still meet the Swedish UI first (DESIGN.md rule 7).

    The API is the exception: a program that sends `Accept-Language: en` asked for English on
    purpose, so its error messages and labels follow that header (Swedish where it names no
    language we have), and the answer says `Vary: Accept-Language` so that no cache hands one
    language's answer to a client that asked for the other. The cookie still wins there too.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        api = request.path_info.startswith("/api/")
        if chosen in dict(settings.LANGUAGES):
            language = chosen
        elif api:
            language = translation.get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if api:
            patch_vary_headers(response, ("Accept-Language",))
        return response
