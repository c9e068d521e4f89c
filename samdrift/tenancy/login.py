"""Failed-login throttling (inloggningsspärr; issue 18, OWASP ASVS 2.2.1).

Failed logins are counted per account (the username as typed, case-folded) and per client address
in Django's cache, each in a fixed window (SAMDRIFT_LOGIN_WINDOW_SECONDS) from its first failure.
An account is refused after SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT failures, an address after
SAMDRIFT_LOGIN_FAILURES_PER_ADDRESS (higher: a municipality's staff share a few NAT addresses).
While refused, even the right password gives no session: the login page answers 429 with a
Swedish message and Retry-After, and every other path through `authenticate` is stopped by
`LoginThrottleBackend`, first in AUTHENTICATION_BACKENDS. Reaching a limit is audited
(`login_throttled`); every failure already is (`login_failed`). A successful login clears the
account's count. With several web processes the cache must be shared (REDIS_URL).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from samdrift.core.audit import record_event_now
from samdrift.core.models import AuditEventType
from samdrift.core.security import client_ip

_PREFIX = "samdrift:login-failures"


def _account_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return f"{_PREFIX}:account:{digest}"


def _address_key(address: str) -> str:
    return f"{_PREFIX}:address:{address}"


# What other apps add to the login page (identity adds its SSO form, name -> provider(request)),
# registered from their AppConfig.ready(): tenancy imports only core (tests/test_layers.py).
LOGIN_EXTRAS: dict[str, Callable[[HttpRequest], Any]] = {}


@dataclass(frozen=True)
class Block:
    scope: str  # "account" or "address"
    retry_after: int  # seconds


def _count(key: str) -> tuple[int, float]:
    value = cache.get(key)
    if not value:
        return 0, 0.0
    return int(value[0]), float(value[1])


def check_login_allowed(username: str, address: str) -> Block | None:
    """None when a login may be tried now; else which limit stops it and for how long."""
    window = settings.SAMDRIFT_LOGIN_WINDOW_SECONDS
    now = time.time()
    for scope, key, limit in (
        ("account", _account_key(username), settings.SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT),
        ("address", _address_key(address), settings.SAMDRIFT_LOGIN_FAILURES_PER_ADDRESS),
    ):
        failures, started = _count(key)
        if failures >= limit:
            return Block(scope, max(1, math.ceil(started + window - now)))
    return None


def _add_failure(key: str) -> int:
    """One more failure in the key's window; the window runs from its first failure."""
    window = settings.SAMDRIFT_LOGIN_WINDOW_SECONDS
    failures, started = _count(key)
    now = time.time()
    if not failures or now - started >= window:
        failures, started = 0, now
    failures += 1
    cache.set(key, (failures, started), timeout=max(1, math.ceil(started + window - now)))
    return failures


def record_failure(username: str, address: str) -> None:
    account = _add_failure(_account_key(username))
    by_address = _add_failure(_address_key(address))
    for scope, failures, limit in (
        ("account", account, settings.SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT),
        ("address", by_address, settings.SAMDRIFT_LOGIN_FAILURES_PER_ADDRESS),
    ):
        if failures == limit:
            record_event_now(
                None, "anonymous", AuditEventType.LOGIN_THROTTLED,
                object_type="tenancy.user", object_repr=username[:150],
                extra={"scope": scope, "failures": failures, "address": address,
                       "window_seconds": settings.SAMDRIFT_LOGIN_WINDOW_SECONDS},
            )  # fmt: skip


def _username(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username") or "")[:150]


@receiver(user_login_failed)
def count_failed_login(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if request is None:
        return
    record_failure(_username(credentials), client_ip(request))


@receiver(user_logged_in)
def clear_account_failures(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    cache.delete(_account_key(user.get_username()))


class LoginThrottleBackend:
    """First in AUTHENTICATION_BACKENDS: while a limit holds, no backend gets to check the password."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
        if request is not None and username is not None and check_login_allowed(username, client_ip(request)):
            raise PermissionDenied  # Django stops here and reports a failed login
        return None

    # No get_user: this backend never signs anyone in, so no session names it (and Django's test
    # client's force_login, which picks the first backend that has get_user, passes it by).


def throttled_message(block: Block) -> str:
    minutes = max(1, math.ceil(block.retry_after / 60))
    return str(
        _("Too many failed logins. Wait %(minutes)s minutes and try again, or ask the service desk for help.")
        % {"minutes": minutes}
    )


class ThrottledAuthenticationForm(AuthenticationForm):
    block: Block | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_ip(self.request) if self.request is not None else "unknown"
        self.block = check_login_allowed(username, address)
        if self.block is None:
            try:
                return super().clean()
            except forms.ValidationError:
                self.block = check_login_allowed(username, address)
                if self.block is None:
                    raise
        raise forms.ValidationError(throttled_message(self.block), code="throttled")


class ThrottledLoginView(LoginView):
    """The login page: a local username and password (break-glass and operator staff), and the
    way to a municipality's own directory (single sign-on, picked by the e-mail domain)."""

    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        # The password is right; allauth's login stages follow: a user with a second factor (TOTP or
        # a passkey) is asked for it before the session is theirs (samdrift/identity/mfa.py).
        from allauth.account.internal.flows.login import perform_password_login
        from allauth.account.models import Login

        user = form.get_user()
        login = Login(user=user, redirect_url=self.get_success_url())
        return perform_password_login(self.request, {"username": user.get_username()}, login)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for name, provide in LOGIN_EXTRAS.items():  # e.g. identity's SSO form; an errored one already there stays
            context.setdefault(name, provide(self.request))
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        block = getattr(form, "block", None)
        if block is not None:
            response.status_code = 429
            response["Retry-After"] = str(block.retry_after)
        return response
