"""The API answers in the language its client asks for (Accept-Language), Swedish where it names
none we have; the pages stay Swedish first whatever the browser says (DESIGN.md rule 7); the
language switch's cookie wins on both."""

from typing import Any

import pytest
from django.conf import settings

REQUIRED = {"sv": "Detta fält måste fyllas i.", "en": "This field is required."}


def _errors(api: Any, user: Any, **headers: str) -> Any:
    return api(user).post("/api/v1/tickets/", {}, format="json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "sv"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("sv-SE,sv;q=0.9,en;q=0.8", "sv"),
        ("de-DE,fr;q=0.8", "sv"),  # nothing we have: the default
        ("en;q=0.2,sv;q=0.9", "sv"),  # the weights decide, not the order
    ],
)
def test_api_errors_follow_accept_language(header: str | None, expected: str, api: Any, world: Any) -> None:
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    response = _errors(api, world.agent, **headers)
    assert response.status_code == 400
    assert response.json()["subject"] == [REQUIRED[expected]]
    assert response["Content-Language"] == expected
    assert "Accept-Language" in response["Vary"]


@pytest.mark.django_db
def test_the_language_cookie_wins_over_the_header_on_the_api(api: Any, world: Any) -> None:
    client = api(world.agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.post("/api/v1/tickets/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["subject"] == [REQUIRED["sv"]]


@pytest.mark.django_db
def test_pages_stay_swedish_for_an_english_browser(web: Any, world: Any) -> None:
    response = web(world.agent).get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Content-Language"] == "sv"
    assert 'lang="sv"' in response.content.decode()
