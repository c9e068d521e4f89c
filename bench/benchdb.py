"""The benchmarks' own PostgreSQL databases: created the first time a script names one."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def ensure_database(url: str, *, reset: bool = False) -> None:
    """Create the database `url` names unless it exists (drop it first with `reset`)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("--database-url must name a database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            print(f"Dropping database {name} (--reset)")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            print(f"Creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
