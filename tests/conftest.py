from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["conftest_github", "conftest_postgres", "conftest_receivers"]

# CI replays the same examples every run, so a submission's result does not depend on luck;
# developers' runs explore new examples (and keep the failures they find in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts in an empty working directory with no ops-schedule variables set."""
    for name in list(os.environ):
        if name.startswith(("OPS_SCHEDULE_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
