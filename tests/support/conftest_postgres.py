"""A PostgreSQL server for the store's tests; each test gets a schema of its own.

The server is the one at ``$OPS_SCHEDULE_TEST_POSTGRES_URL`` (default: the development
machines' and CI's ``postgresql://postgres@127.0.0.1:5432/test``). Without a server the tests
that need one are skipped with one line saying how to point them at one; under ``CI=true`` an
unreachable server fails them instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import quote

import pytest

ENV_URL = "OPS_SCHEDULE_TEST_POSTGRES_URL"
# Read once at start-up: every test then runs with the ops-schedule variables cleared.
SERVER_URL = os.environ.get(ENV_URL) or "postgresql://postgres@127.0.0.1:5432/test"
_reachable: str | None = None  # None: not tried yet; "": reachable; else why not


def _problem() -> str:
    global _reachable  # noqa: PLW0603 - one connection attempt per test session
    if _reachable is None:
        import psycopg

        try:
            psycopg.connect(SERVER_URL, connect_timeout=5).close()
        except psycopg.Error as exc:
            _reachable = str(exc).strip().splitlines()[0]
        else:
            _reachable = ""
    return _reachable


def in_schema(url: str, schema: str) -> str:
    """``url`` with the connection's ``search_path`` set to ``schema``."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def postgres_server() -> str:
    """The server's URL, or a skip (a failure under CI) when it cannot be reached."""
    problem = _problem()
    if problem:
        message = (
            f"no PostgreSQL at {SERVER_URL} ({problem}); set {ENV_URL} to a postgresql:// URL "
            "of a server these tests may use"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SERVER_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema, dropped when the test ends."""
    import psycopg

    schema = f"ops_test_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield in_schema(postgres_server, schema)
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute("SET lock_timeout = '20s'")  # a stopped test process must not hang it
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
