"""The browser fixtures live in tests/playwright_fixtures.py, loaded for the whole suite by the
root conftest, so that every app's browser tests share one Playwright and one Chromium per
process (a second sync Playwright in the same process fails)."""

from tests.playwright_fixtures import check_page_basics, log_in

__all__ = ["check_page_basics", "log_in"]
