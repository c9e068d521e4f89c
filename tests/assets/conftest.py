from typing import Any


def pytest_configure(config: Any) -> None:
    # Tell the lead: add this marker to pyproject.toml's [tool.pytest.ini_options] markers.
    config.addinivalue_line("markers", "agent: runs Debian's real fusioninventory-agent against the live server")
