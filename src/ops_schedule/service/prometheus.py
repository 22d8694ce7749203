"""Prometheus metrics of the loop, on a registry of their own (never the global one).

Off by default; ``loop --metrics-port N`` serves them on 127.0.0.1 unless told otherwise. The
families that ``run`` writes too (``service/metric_families.py``) are served from the snapshot of
the last tick; four belong to the loop alone: how long ticks take, ticks that failed, whether the
config is valid, and ``up``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ops_schedule import __version__
from ops_schedule.service.metric_families import Family, JobFacts, Snapshot, metric_families

TICK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)


def as_client_metric(family: Family) -> Metric:
    """One family as prometheus_client's metric (a counter without a ``_created`` sample:
    the counts outlive the process)."""
    label_names = [name for name, _ in family.samples[0][0]] if family.samples else []
    metric: CounterMetricFamily | GaugeMetricFamily
    if family.kind == "counter":
        metric = CounterMetricFamily(family.name, family.help, labels=label_names)
    else:
        metric = GaugeMetricFamily(family.name, family.help, labels=label_names)
    for labels, value in family.samples:
        metric.add_metric([v for _, v in labels], value)
    return metric


class _SnapshotCollector(Collector):
    def __init__(self, current: Callable[[], Snapshot]) -> None:
        self._current = current

    def collect(self) -> Iterator[Metric]:
        for family in metric_families(self._current()):
            yield as_client_metric(family)


class Metrics:
    """The loop's metrics: the snapshot of the last tick, plus the loop's own."""

    def __init__(self, job_names: Iterable[str]) -> None:
        # Every job's run counters exist (at zero) from the start, so that rate() works.
        self.snapshot = Snapshot(version=__version__, jobs=tuple(map(JobFacts, job_names)))
        self.registry = CollectorRegistry()
        self.registry.register(_SnapshotCollector(lambda: self.snapshot))
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
        self.up = Gauge("ops_schedule_up", "1 while the loop runs.", registry=self.registry)
        self.up.set(1)
        self.config_valid.set(1)

    def observe_tick(self, *, duration: float, snapshot: Snapshot) -> None:
        """Record one completed tick: how long it took, and what the families now show."""
        self.tick_duration.observe(max(duration, 0.0))
        self.snapshot = snapshot

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
