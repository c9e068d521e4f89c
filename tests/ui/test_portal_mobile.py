"""The portal on a phone (390 × 844, an iPhone's width): no page scrolls sideways, a table wider
than the screen scrolls inside a region that the keyboard can focus, and every control is a tap
target of at least 24 × 24 px (WCAG 2.2 target size; inline links inside a sentence are exempt)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.ui.test_keyboard_journeys import log_in

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844

PROBLEMS = """() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) out.push(`page scrolls sideways: ${root.scrollWidth}px`);
  for (const table of document.querySelectorAll('main table')) {
    const box = table.closest('[tabindex="0"]');
    const wide = table.scrollWidth > (table.parentElement.clientWidth + 1);
    if (wide && !(box && (box.getAttribute('role') === 'region' || box.getAttribute('aria-label')
                          || box.getAttribute('aria-labelledby')))) {
      out.push(`table wider than the screen outside a focusable, named region: ${table.className}`);
    }
  }
  const controls = document.querySelectorAll('main a[href], main button, main input:not([type=hidden]), main select, main textarea, header a[href], header button');
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    // An inline link inside running text is exempt (WCAG 2.5.8).
    if (el.tagName === 'A' && style.display === 'inline' && el.parentElement
        && el.parentElement.textContent.trim().length > el.textContent.trim().length + 10) continue;
    if (el.classList.contains('visually-hidden-focusable')) continue;
    if (r.width < 24 || r.height < 24) out.push(`tap target ${Math.round(r.width)}×${Math.round(r.height)}: ${el.outerHTML.slice(0, 120)}`);
  }
  return out;
}"""


def test_the_portal_reads_and_works_at_390_px(new_page: Any, world: Any) -> None:
    page = new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    log_in(page, world.a.end_user.username)
    paths = [reverse("sd_portal"), reverse("sd_portal_new"), reverse("my_devices")]
    page.goto(reverse("sd_portal"))
    ticket_link = page.locator("main a[href*='/portal/tickets/']").first
    if ticket_link.count():
        paths.append(ticket_link.get_attribute("href") or "")
    problems = []
    for path in paths:
        page.goto(path)
        problems += [f"{path}: {problem}" for problem in page.evaluate(PROBLEMS)]
    assert problems == [], "\n".join(problems)
