"""Prometheus metrics of the loop, on a registry of their own (never the global one).

Off by default; ``loop --metrics-port N`` serves them on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

OUTCOMES = ("ok", "fail", "skipped")
TICK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)


class OutcomeLike(Protocol):
    """What the exporter needs of a run outcome (``runner.RunOutcome`` fits)."""

    @property
    def job(self) -> str: ...
    @property
    def status(self) -> str: ...


class RecordLike(Protocol):
    """What the exporter needs of a job's stored record (``state.JobRecord`` fits)."""

    @property
    def last_success_at(self) -> datetime | None: ...
    @property
    def consecutive_failures(self) -> int: ...


class Metrics:
    """The loop's metrics. Updated once per tick; the heartbeat age is computed at scrape time."""

    def __init__(
        self, job_names: Iterable[str], clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._clock = clock
        self._last_tick_at: datetime | None = None
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "ops_schedule_runs",
            "Job runs by job and outcome (ok, fail, skipped).",
            ["job", "outcome"],
            registry=self.registry,
        )
        self.last_success = Gauge(
            "ops_schedule_last_success_timestamp_seconds",
            "Unix time of the job's last successful run.",
            ["job"],
            registry=self.registry,
        )
        self.next_run = Gauge(
            "ops_schedule_next_run_timestamp_seconds",
            "Unix time of the job's next scheduled run (active jobs only).",
            ["job"],
            registry=self.registry,
        )
        self.consecutive_failures = Gauge(
            "ops_schedule_consecutive_failures",
            "Failed runs of the job since its last success.",
            ["job"],
            registry=self.registry,
        )
        self.tick_duration = Histogram(
            "ops_schedule_tick_duration_seconds",
            "How long one tick of the loop took (evaluating and running due jobs).",
            buckets=TICK_BUCKETS,
            registry=self.registry,
        )
        self.tick_errors = Counter(
            "ops_schedule_tick_errors",
            "Ticks that ended in an unexpected error (state unreadable, disk full, …).",
            registry=self.registry,
        )
        self.config_valid = Gauge(
            "ops_schedule_config_valid",
            "1 while the config file is valid, 0 while the loop runs on the last good one.",
            registry=self.registry,
        )
        self.heartbeat_age = Gauge(
            "ops_schedule_heartbeat_age_seconds",
            "Seconds since the last completed tick (NaN before the first).",
            registry=self.registry,
        )
        self.heartbeat_age.set_function(self._heartbeat_age)
        self.up = Gauge("ops_schedule_up", "1 while the loop runs.", registry=self.registry)
        self.up.set(1)
        self.config_valid.set(1)
        for job in job_names:
            for outcome in OUTCOMES:
                self.runs.labels(job=job, outcome=outcome)  # export zeros, so rate() works

    def _heartbeat_age(self) -> float:
        if self._last_tick_at is None:
            return math.nan
        return (self._clock() - self._last_tick_at).total_seconds()

    def observe_tick(
        self,
        *,
        completed_at: datetime,
        duration: float,
        outcomes: Iterable[OutcomeLike],
        records: Mapping[str, RecordLike],
        next_runs: Mapping[str, datetime | None],
    ) -> None:
        """Record one completed tick: its outcomes, the stored records and the next runs."""
        self._last_tick_at = completed_at
        self.tick_duration.observe(max(duration, 0.0))
        for outcome in outcomes:
            self.runs.labels(job=outcome.job, outcome=outcome.status).inc()
        for job, record in records.items():
            self.consecutive_failures.labels(job=job).set(record.consecutive_failures)
            if record.last_success_at is not None:
                self.last_success.labels(job=job).set(record.last_success_at.timestamp())
        self.next_run.clear()  # a job disabled since the last tick has no next run
        for job, when in next_runs.items():
            if when is not None:
                self.next_run.labels(job=job).set(when.timestamp())

    def observe_tick_error(self, duration: float) -> None:
        self.tick_errors.inc()
        self.tick_duration.observe(max(duration, 0.0))


@dataclass
class MetricsServer:
    """A running metrics endpoint; ``close()`` stops it and frees the socket."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def host(self) -> str:
        return str(self.server.server_address[0])

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: Metrics, port: int, host: str = "127.0.0.1") -> MetricsServer:
    """Serve ``/metrics`` on ``host:port`` (port 0 picks a free one) in a daemon thread."""
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    return MetricsServer(server, thread)
