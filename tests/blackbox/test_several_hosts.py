"""Checked from outside: several hosts run the installed ``ops-schedule loop`` (the real jobs, on
demo data) against one PostgreSQL schema and a fake GitHub that runs as a process of its own.
Some hosts are killed; afterwards each job's period has exactly one comment on the issue.

Nothing here looks inside a process or the database: the only evidence is what GitHub received.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from hosts import SUPPORT, clean_environment, make_hosts, periods, scheduled_instant

pytestmark = pytest.mark.slow

MARKER = re.compile(r"<!-- ops-schedule:(?P<job>[a-z_]+):(?P<period>[0-9W-]+) -->")
# A host killed mid-run leaves an interrupted attempt that is retried after the one-minute
# backoff; give that retry time to happen.
SETTLE_SECONDS = 120


def comments_by_period(url: str, token: str) -> Counter[tuple[str, str]]:
    response = httpx.get(
        f"{url}/repos/acme/proxy/issues/7/comments",
        params={"per_page": 100},
        headers={
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "blackbox-test",
        },
        timeout=10,
    )
    response.raise_for_status()
    found: Counter[tuple[str, str]] = Counter()
    for comment in response.json():
        match = MARKER.match(comment["body"])
        if match:
            found[(match["job"], match["period"])] += 1
    return found


def test_hosts_killed_at_random_never_post_a_period_twice(
    tmp_path: Path, postgres_url: str, github_token: str
):
    script = shutil.which("ops-schedule", path=str(Path(sys.executable).parent))
    assert script is not None, "the package's console script is not installed"
    environ = clean_environment()
    subprocess.run(
        [script, "demo", "--dir", "data", "--events", "20000", "--days", "9"],
        cwd=tmp_path,
        env=environ,
        check=True,
        capture_output=True,
    )
    github = subprocess.Popen(
        [sys.executable, "-m", "fakegithub_server"],
        env={**environ, "PYTHONPATH": str(SUPPORT), "FAKE_GITHUB_TOKEN": github_token},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    loops: list[subprocess.Popen[bytes]] = []
    hosts = []
    try:
        assert github.stdout is not None
        url = github.stdout.readline().strip()
        hosts = make_hosts(tmp_path, 4, store_url=postgres_url, github_url=url, token=github_token)
        expected = periods(scheduled_instant())
        for host in hosts:
            config = json.loads(host.file("ops.json").read_text(encoding="utf-8"))
            config["sources"] = {
                "events": str(tmp_path / "data" / "events.jsonl"),
                "incidents": str(tmp_path / "data" / "incidents" / "state.jsonl"),
            }
            host.file("ops.json").write_text(json.dumps(config), encoding="utf-8")
        loops.extend(
            subprocess.Popen(
                [script, "--config", "ops.json", "loop", "--interval", "1"],
                cwd=host.directory,
                env=host.environ,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for host in hosts
        )
        rng = random.Random()
        for victim in rng.sample(loops, 2):
            time.sleep(rng.uniform(0.5, 2.5))
            victim.send_signal(signal.SIGKILL)

        deadline = time.monotonic() + SETTLE_SECONDS
        while set(comments_by_period(url, github_token)) != set(expected.items()):
            assert time.monotonic() < deadline, comments_by_period(url, github_token)
            time.sleep(0.5)
        time.sleep(3)  # a few more ticks of the surviving hosts: nothing may follow

        assert comments_by_period(url, github_token) == dict.fromkeys(expected.items(), 1)
    finally:
        for process in loops:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in loops:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        github.communicate(timeout=30)  # closes its stdin: it stops
    survivors = [
        host for host, process in zip(hosts, loops, strict=True) if process.returncode == 0
    ]
    assert len(survivors) == 2  # the others were killed; these stopped cleanly on SIGTERM
    for host in survivors:  # each ran as a service, ticking
        assert host.file("state/heartbeat.json").exists()
