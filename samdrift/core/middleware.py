"""Request id for structured logs and audit events, the language of each request, and the refusal
of a NUL character in a path or query."""

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


def _has_nul(values: Any) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())


class RefuseNulMiddleware:
    """A NUL character in a request's path, query string or form values is a 400 that reaches no
    view.

    PostgreSQL cannot hold NUL in text. The API's parsers refuse it in request bodies
    (core/parsers.py) and Django's form fields refuse it in form values, but a path or a query
    value reaches queries and audit events unchecked: an export with `?q=%00` was a server error on
    PostgreSQL because its audit event records the filters. Placed after the language is chosen,
    so that the answer is in the user's language; the API's answer is JSON like its other errors.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (
                # A form's values (CSRF's check reads them anyway). Not a multipart body: its files may
                # hold any byte, and its text fields go through form fields or the API's parsers.
                request.content_type == "application/x-www-form-urlencoded" and _has_nul(request.POST)
            )
        ):
            from django.http import HttpResponseBadRequest, JsonResponse
            from django.utils.translation import gettext as _

            message = _("The request holds a NUL character, which no text may contain.")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
