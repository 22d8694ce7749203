"""One host of the multi-host tests: the real ``ops-schedule`` CLI with jobs that take as long
as the test says, run as ``python -m hostjobs --config ops.json run …`` in the host's directory.

Each job writes ``started-<job>`` (with its pid) when it begins, then works for
``$HOST_JOB_SECONDS`` seconds, or until the file ``release`` appears in the host's directory
when that variable is ``wait``; then it returns a small report that the real runner archives,
posts to the (fake) GitHub and records in the shared store.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from ops_schedule.config import JOB_NAMES
from ops_schedule.reports.base import Report

WAIT_LIMIT = 60.0  # a forgotten host must not outlive the test for long


class TimedJob:
    def __init__(self, name: str) -> None:
        self.name = name

    def build(self, ctx: Any) -> Report:
        started = Path(f"started-{self.name}")
        partial = started.with_suffix(".partial")
        partial.write_text(str(os.getpid()), encoding="utf-8")
        partial.replace(started)
        work = os.environ.get("HOST_JOB_SECONDS", "0")
        deadline = time.monotonic() + (WAIT_LIMIT if work == "wait" else float(work))
        while time.monotonic() < deadline and not (work == "wait" and Path("release").exists()):
            time.sleep(0.02)
        summary = f"{self.name} {ctx.period_key}: built by process {os.getpid()}"
        return Report(self.name, ctx.period_key, summary, f"# {summary}\n", {"pid": os.getpid()})


def main() -> None:
    from ops_schedule.cli.main import main as cli

    cli(sys.argv[1:], jobs={name: TimedJob(name) for name in JOB_NAMES})


if __name__ == "__main__":
    main()
