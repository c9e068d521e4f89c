"""The pages work under the content security policy (issue 18): inline scripts run only with the
request's nonce, htmx updates and the scripts it swaps in still work, Swagger UI renders, and the
browser reports no violation on any of them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_pages_work_under_the_policy(page: Page, world: Any) -> None:
    violations = _watch_csp(page)
    a = world.a

    # The login page's error summary is focused by its inline (nonced) script.
    page.goto("/accounts/login/")
    page.get_by_label("Användarnamn").fill(world.admin.username)
    page.get_by_label("Lösenord").fill("fel-lösenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("#error-summary")).to_be_focused()

    log_in(page, world.admin.username)
    response = page.goto("/people/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-eval" not in policy

    # htmx filters as one types, and the results are announced (the listener that replaced hx-on).
    results = page.get_by_role("table", name="Personer")
    page.get_by_label("Sök").fill(a.employee.first_name)
    expect(results).not_to_contain_text(world.b.employee.last_name)
    expect(page.locator("#results-status")).to_have_text(re.compile(r"\w"))

    # The asset label's print button (formerly onclick) still prints.
    page.goto(reverse("asset_label", args=[a.extra["asset"].pk]))
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="Skriv ut").click()
    assert page.evaluate("window.__printed") is True

    # Swagger UI renders the operations from its separately served start script.
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)

    assert violations == [], violations
