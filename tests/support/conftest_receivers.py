"""Fixtures for tests that talk to a local receiver (loaded from conftest.py as a plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakereceiver import FakeReceiver

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeReceiver]:
    """A running receiver on 127.0.0.1; its URL's path is a fresh secret."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # loopback must not go through a proxy
    fake = FakeReceiver().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def second_receiver(receiver: FakeReceiver) -> Iterator[FakeReceiver]:
    fake = FakeReceiver().start()
    try:
        yield fake
    finally:
        fake.stop()
