"""The live server the browser tests run against (tests/playwright_fixtures.py).

On SQLite its request threads share the test's in-memory database connection, and with it one
transaction. A request still running when another signs in used to take the new session down with
it when it rolled back: the next page was the login page (CI, 7 December 2026). The server now
serves one request at a time on a shared connection, and a test ends only when its last request
has.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from tests.conftest import PASSWORD

_entered = threading.Event()


class _RolledBack(Exception):
    pass


def _slow_then_rolled_back(request: HttpRequest) -> HttpResponse:
    """A request that holds a transaction for a while and then rolls it back (an action refused)."""
    try:
        with transaction.atomic():
            _entered.set()
            time.sleep(2.5)
            raise _RolledBack
    except _RolledBack:
        pass
    return HttpResponse("rolled back")


urlpatterns = [path("test-slow-rollback/", _slow_then_rolled_back), path("", include("samdrift.urls"))]


def _browser() -> Any:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _log_in(browser: Any, base: str, username: str) -> None:
    page = browser.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the login page carries a CSRF token"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], "username": username, "password": PASSWORD})
    browser.open(urllib.request.Request(f"{base}/accounts/login/", data=form.encode()), timeout=30).read()


def test_a_sign_in_during_another_requests_rollback_keeps_its_session(
    live_server: Any, world: Any, settings: Any
) -> None:
    settings.ROOT_URLCONF = __name__
    _entered.clear()
    slow = threading.Thread(
        target=lambda: urllib.request.urlopen(f"{live_server.url}/test-slow-rollback/", timeout=30).read()
    )
    slow.start()
    assert _entered.wait(10), "the slow request started"
    browser = _browser()
    _log_in(browser, live_server.url, world.admin.username)
    slow.join(30)
    answer = browser.open(f"{live_server.url}/", timeout=30)
    assert not answer.url.startswith(f"{live_server.url}/accounts/login/"), "signed out by another request's rollback"
    assert "Översikt" in answer.read().decode()


def test_requests_take_turns_only_on_a_shared_connection(live_server: Any, world: Any, settings: Any) -> None:
    """Two requests at once: on SQLite's shared connection the second is answered only when the
    first has ended; on PostgreSQL (a connection per thread) while the first still runs."""
    settings.ROOT_URLCONF = __name__
    _entered.clear()
    ends: list[float] = []

    def slow() -> None:
        urllib.request.urlopen(f"{live_server.url}/test-slow-rollback/", timeout=30).read()
        ends.append(time.monotonic())

    thread = threading.Thread(target=slow)
    thread.start()
    assert _entered.wait(10)
    urllib.request.urlopen(f"{live_server.url}/accounts/login/", timeout=30).read()
    answered = time.monotonic()
    thread.join(30)
    assert ends
    if connection.vendor == "sqlite":
        assert answered >= ends[0] - 0.05, "the second request was served inside the first"
    else:
        assert answered < ends[0], "requests with connections of their own waited for each other"
