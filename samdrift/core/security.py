"""Session lifetime, security headers and the API docs guard (OWASP ASVS level 2; issue 18).

Django's SecurityMiddleware and its CSP middleware set HSTS, nosniff, Referrer-Policy, COOP and the
Content-Security-Policy from settings; this module adds what Django has no setting for: the idle
and absolute session timeouts (ASVS 3.3.2), a Permissions-Policy, no-store on signed-in pages
(ASVS 8.2.1), and the login guard of the API schema and docs in production.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

SESSION_STARTED = "_sd_auth_started"
SESSION_SEEN = "_sd_last_seen"
# Touch the session at most this often, so that an idle clock costs no write per request.
_SEEN_RESOLUTION = 60

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


class SessionTimeoutMiddleware:
    """Ends a session after SAMDRIFT_SESSION_IDLE_SECONDS without a request or SESSION_COOKIE_AGE
    after sign-in, whichever comes first. The next request is anonymous and goes to the login page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            started, seen = session.get(SESSION_STARTED), session.get(SESSION_SEEN)
            idle = seen is not None and now - seen > settings.SAMDRIFT_SESSION_IDLE_SECONDS
            too_old = started is not None and now - started > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                logout(request)  # flushes the session; audited as a logout (tenancy/signals.py)
            elif seen is None or now - seen >= _SEEN_RESOLUTION:
                session[SESSION_SEEN] = now
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session and SESSION_STARTED not in session:
            now = int(time.time())
            session[SESSION_STARTED] = now
            session[SESSION_SEEN] = now
        return response


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; no-store on what a signed-in user is shown."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind SAMDRIFT_TRUSTED_PROXIES reverse proxies the
    address the outermost trusted proxy saw (X-Forwarded-For is read from the right)."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = settings.SAMDRIFT_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return remote


def api_docs_public() -> bool:
    return bool(settings.SAMDRIFT_API_DOCS_PUBLIC)


class ApiDocsPermission(BasePermission):
    """The OpenAPI schema: anyone where the docs are public, else a signed-in user (session or token)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return api_docs_public() or bool(request.user and request.user.is_authenticated)


def login_unless_docs_public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The Swagger UI page: a browser page, so an anonymous visitor is sent to the login page."""

    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not api_docs_public() and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return guarded
