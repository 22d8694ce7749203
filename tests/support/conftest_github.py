"""Fixtures for tests that talk to the fake GitHub (loaded from conftest.py as a plugin)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import stamina
from fakegithub import FakeGitHub

from ops_schedule.publishing.sinks import spacing
from ops_schedule.publishing.sinks.github import MAX_ATTEMPTS

_PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture
def github_token() -> str:
    """A fresh, token-shaped secret for each test; never a literal in the repository."""
    return "ghp_" + secrets.token_hex(18)


@pytest.fixture
def fake_github(github_token: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A running fake GitHub on 127.0.0.1 that accepts ``github_token``."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # loopback must not go through a proxy
    fake = FakeGitHub(token=github_token).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """stamina's test mode: retries happen at once; the sink still reports the waits asked."""
    with stamina.set_testing(True, attempts=MAX_ATTEMPTS, cap=True):
        yield


@pytest.fixture(autouse=True)
def process_spacing_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The process-wide second between POSTs is kept, but waited for without sleeping: each
    test starts with a fresh spacing whose sleeps are only recorded."""
    waits: list[float] = []
    monkeypatch.setattr(spacing, "PROCESS_SPACING", spacing.Spacing(sleep=waits.append))
    return waits


@pytest.fixture
def clean_process_state() -> Iterator[None]:
    """Restore the root logger and the process-wide redactor afterwards."""
    import logging

    from ops_schedule.cli.output import use_redactor

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    use_redactor(None)
    root.handlers[:] = handlers
    root.setLevel(level)
