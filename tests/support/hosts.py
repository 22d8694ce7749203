"""Hosts for the multi-host tests: real processes, each in its own directory with its own
``stateDir`` and archive, sharing one PostgreSQL schema and one fake GitHub.

Every job of a host's config is due at once (its time was a minute ago, in UTC) and posts to
the dashboard issue; claims live ``LEASE`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SUPPORT = Path(__file__).resolve().parent
LEASE = 2.0  # seconds: short, so that takeovers happen within a test
DAILY, WEEKLY, DIGEST = (
    "daily_observability_report",
    "weekly_observability_report",
    "weekly_improvement_digest",
)


def scheduled_instant() -> datetime:
    """A minute ago, on the minute: every job's latest scheduled instant in the hosts' config."""
    return (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)


def periods(scheduled: datetime) -> dict[str, str]:
    year, week, _ = scheduled.isocalendar()
    weekly = f"{year}-W{week:02d}"
    return {DAILY: scheduled.date().isoformat(), WEEKLY: weekly, DIGEST: weekly}


def host_config(github_url: str, scheduled: datetime, *, lease: float = LEASE) -> dict[str, Any]:
    at, dow = f"{scheduled:%H:%M}", f"{scheduled:%a}"
    return {
        "enabled": True,
        "timezone": "UTC",
        "stateDir": "state",
        "outputDir": "reports",
        "dashboardIssue": 7,
        "github": {"repo": "acme/proxy", "apiUrl": github_url, "maxRetrySeconds": 5},
        "jobs": {
            DAILY: {"enabled": True, "at": at, "postToIssue": True},
            WEEKLY: {"enabled": True, "at": at, "dow": dow, "postToIssue": True},
            DIGEST: {"enabled": True, "at": at, "dow": dow, "postToIssue": True},
        },
        "store": {"leaseSeconds": lease},
    }


def clean_environment() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPS_SCHEDULE_", "GITHUB_", "HOST_"))
        and k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
    }


@dataclass
class Host:
    """One host: a directory, a config and the environment its processes run with."""

    directory: Path
    environ: dict[str, str]
    started: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(
        self, *args: str, job_seconds: str = "0", fake_jobs: bool = True
    ) -> subprocess.Popen[str]:
        """``ops-schedule --config ops.json ARGS`` in the host's directory."""
        program = ["-m", "hostjobs"] if fake_jobs else ["-m", "ops_schedule"]
        process = subprocess.Popen(
            [sys.executable, *program, "--config", "ops.json", *args],
            cwd=self.directory,
            env={**self.environ, "HOST_JOB_SECONDS": job_seconds},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append(process)
        return process

    def run(self, *args: str, job_seconds: str = "0", timeout: float = 60) -> tuple[int, str, str]:
        process = self.start(*args, job_seconds=job_seconds)
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out, err

    def file(self, name: str) -> Path:
        return self.directory / name

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.communicate()


def make_hosts(
    root: Path, count: int, *, store_url: str, github_url: str, token: str, lease: float = LEASE
) -> list[Host]:
    scheduled = scheduled_instant()
    environ = clean_environment()
    environ.update(
        {
            "OPS_SCHEDULE_STORE_URL": store_url,
            "GITHUB_TOKEN": token,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(SUPPORT), environ.get("PYTHONPATH")])),
        }
    )
    hosts = []
    for number in range(count):
        directory = root / f"host-{number}"
        directory.mkdir()
        config = host_config(github_url, scheduled, lease=lease)
        (directory / "ops.json").write_text(json.dumps(config), encoding="utf-8")
        hosts.append(Host(directory, environ))
    return hosts


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30) -> float:
    """Poll until ``predicate()``; returns the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 between the hosts and PostgreSQL that the test can cut: every
    open connection is closed, and new ones are closed as soon as they arrive, until it is
    restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._cut = threading.Event()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._stopped = True
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
