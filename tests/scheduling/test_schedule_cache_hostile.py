"""The kept schedule's file is read as hostile input too: a FIFO or an endless device at
``<stateDir>/config-cache.json`` is ignored at once, never waited on or read without end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops_schedule.scheduling.viewcache import CACHE_FILE, cached_schedule


def _workspace(kind: str) -> Path:
    Path("ops.json").write_text(json.dumps({"stateDir": "state"}), encoding="utf-8")
    cache = Path("state") / CACHE_FILE
    cache.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(cache)
    else:
        cache.symlink_to("/dev/zero")
    return cache


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_cache_that_is_no_regular_file_is_ignored(kind):
    _workspace(kind)
    assert cached_schedule(Path("ops.json"), {}) is None


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_run_with_a_fifo_or_dev_zero_as_the_cache_does_not_hang(kind):
    cache = _workspace(kind)
    result = subprocess.run(
        [sys.executable, "-m", "ops_schedule", "--config", "ops.json", "run"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert cache.is_symlink() or cache.exists()  # left alone: not a file this program wrote
