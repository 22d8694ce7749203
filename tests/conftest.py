from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["conftest_github"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts in an empty working directory with no ops-schedule variables set."""
    for name in list(os.environ):
        if name.startswith(("OPS_SCHEDULE_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
