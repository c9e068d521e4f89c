"""What `run_all` prints when it starts: the demo logins. The app that loads the demo data registers
them from its AppConfig.ready(), so that core names no capability."""

from __future__ import annotations

from collections.abc import Callable

Logins = Callable[[], list[tuple[str, str]]]

_DEMO: dict[str, tuple[Logins, str]] = {}


def register_demo_logins(logins: Logins, password: str) -> None:
    """`logins()` lists (username, description); `password` is the one all of them share."""
    _DEMO["logins"] = (logins, password)


def demo_logins() -> tuple[list[tuple[str, str]], str]:
    """The registered demo logins and their password; none when no app registered any."""
    if "logins" not in _DEMO:
        return [], ""
    logins, password = _DEMO["logins"]
    return logins(), password
