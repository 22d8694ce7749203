"""The counters behind the metrics, and where they are kept between runs.

A counter exported by a process that lives for one run (``run`` from cron, a CronJob, an Actions
workflow) would start at zero every minute, and ``rate()`` would read each start as a reset. So
the counts live in ``<stateDir>/metrics.json``: each run adds its outcomes under a lock
(``metrics.json.lock``, ``flock``; a loop and a manual run may add at once) and exports the
totals. The loop keeps its counts in memory unless metrics are written or pushed, in which case
it adds to the same file (docs/operations.md, "Monitoring").

:meth:`Counts.add` is PURE; :class:`CountsFile` does the I/O.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ops_schedule.fsutil import atomic_write_text
from ops_schedule.publishing.telemetry import Telemetry
from ops_schedule.timefmt import utc_iso

log = logging.getLogger(__name__)

COUNTS_FILE = "metrics.json"
COUNTS_VERSION = 1
MAX_COUNTS_BYTES = 1 << 20
SINK_OUTCOMES = ("posted", "reused", "failed")
PING_EVENTS = ("start", "success", "failure")
PING_OUTCOMES = ("ok", "failed")


class OutcomeLike(Protocol):
    """What the counters need of a run's outcome (``runner.RunOutcome`` fits)."""

    @property
    def job(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def finished_at(self) -> datetime: ...
    @property
    def telemetry(self) -> Telemetry: ...


def _plus(counts: Mapping[Any, float], key: Any, amount: float) -> dict[Any, float]:
    return {**counts, key: counts.get(key, 0) + amount}


@dataclass(frozen=True, slots=True)
class Counts:
    """Totals since the counters were started (the file created, or the loop started)."""

    runs: Mapping[tuple[str, str], float] = field(default_factory=dict)  # (job, outcome)
    posts: Mapping[tuple[str, str], float] = field(default_factory=dict)  # (sink, outcome)
    retries: Mapping[str, float] = field(default_factory=dict)  # sink
    rate_limit_waits: Mapping[str, float] = field(default_factory=dict)  # sink
    rate_limit_seconds: Mapping[str, float] = field(default_factory=dict)  # sink
    pings: Mapping[tuple[str, str], float] = field(default_factory=dict)  # (event, outcome)
    last_failure_at: Mapping[str, datetime] = field(default_factory=dict)  # job

    def add(self, outcomes: Iterable[OutcomeLike]) -> Counts:
        """PURE: these counts with ``outcomes`` added."""
        runs, posts, pings = dict(self.runs), dict(self.posts), dict(self.pings)
        retries, waits, waited = (
            dict(self.retries),
            dict(self.rate_limit_waits),
            dict(self.rate_limit_seconds),
        )
        failed_at = dict(self.last_failure_at)
        for outcome in outcomes:
            runs = _plus(runs, (outcome.job, outcome.status), 1)
            if outcome.status == "fail":
                failed_at[outcome.job] = outcome.finished_at
            for sink in outcome.telemetry.sinks:
                posts = _plus(posts, (sink.sink, sink.outcome), 1)
                retries = _plus(retries, sink.sink, sink.retries)
                waits = _plus(waits, sink.sink, sink.rate_limit_waits)
                waited = _plus(waited, sink.sink, sink.rate_limit_seconds)
            for ping in outcome.telemetry.pings:
                pings = _plus(pings, (ping.event, "ok" if ping.ok else "failed"), 1)
        return Counts(runs, posts, retries, waits, waited, pings, failed_at)

    def to_json(self) -> dict[str, Any]:
        def pairs(counts: Mapping[tuple[str, str], float]) -> dict[str, dict[str, float]]:
            out: dict[str, dict[str, float]] = {}
            for (a, b), n in sorted(counts.items()):
                out.setdefault(a, {})[b] = n
            return out

        return {
            "version": COUNTS_VERSION,
            "runs": pairs(self.runs),
            "posts": pairs(self.posts),
            "retries": dict(sorted(self.retries.items())),
            "rateLimitWaits": dict(sorted(self.rate_limit_waits.items())),
            "rateLimitSeconds": dict(sorted(self.rate_limit_seconds.items())),
            "pings": pairs(self.pings),
            "lastFailureAt": {job: utc_iso(at) for job, at in sorted(self.last_failure_at.items())},
        }

    @classmethod
    def from_json(cls, raw: object) -> Counts:
        """Tolerant: what cannot be read counts as zero (a counter reset, which rate() handles)."""
        if not isinstance(raw, dict):
            return cls()
        return cls(
            runs=_nested(raw.get("runs")),
            posts=_nested(raw.get("posts")),
            retries=_flat(raw.get("retries")),
            rate_limit_waits=_flat(raw.get("rateLimitWaits")),
            rate_limit_seconds=_flat(raw.get("rateLimitSeconds")),
            pings=_nested(raw.get("pings")),
            last_failure_at=_instants(raw.get("lastFailureAt")),
        )


def _count(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < float("inf") else None


def _items(value: object) -> Iterable[tuple[Any, Any]]:
    return value.items() if isinstance(value, dict) else ()


def _flat(value: object) -> dict[str, float]:
    return {str(k): n for k, v in _items(value) if (n := _count(v)) is not None}


def _nested(value: object) -> dict[tuple[str, str], float]:
    return {
        (str(a), str(b)): n
        for a, inner in _items(value)
        for b, v in _items(inner)
        if (n := _count(v)) is not None
    }


def _instants(value: object) -> dict[str, datetime]:
    out = {}
    for job, text in _items(value):
        with contextlib.suppress(TypeError, ValueError):
            at = datetime.fromisoformat(text)
            if at.tzinfo is not None:
                out[str(job)] = at
    return out


class CountsFile:
    """``<state_dir>/metrics.json``: the counts every run adds to."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / COUNTS_FILE

    def add(self, outcomes: Iterable[OutcomeLike]) -> Counts:
        """Add ``outcomes`` to the stored counts and return the new totals (raises OSError)."""
        outcomes = list(outcomes)
        with self._locked():
            counts = self.read()
            if outcomes or not self.path.exists():
                counts = counts.add(outcomes)
                atomic_write_text(self.path, json.dumps(counts.to_json(), indent=1) + "\n")
        return counts

    def read(self) -> Counts:
        try:
            with self.path.open("rb") as handle:
                raw = handle.read(MAX_COUNTS_BYTES + 1)
        except FileNotFoundError:
            return Counts()
        try:
            return Counts.from_json(json.loads(raw) if len(raw) <= MAX_COUNTS_BYTES else None)
        except ValueError:
            log.warning("%s is unreadable; the counters start again from zero", self.path)
            return Counts()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(COUNTS_FILE + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
