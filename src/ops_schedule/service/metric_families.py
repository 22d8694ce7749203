"""The metric families, as plain data: one definition for the loop's endpoint, the textfile and
the Pushgateway (docs/operations.md, "Monitoring" lists them with the question each answers).

PURE: a :class:`Snapshot` (the stored records, the counters, the clock reading of the tick) in,
families out. Times are exported as Unix timestamps, never as ages: an age is stale the moment
it is scraped, a timestamp stays true (``time() - x`` in a rule gives the age).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ops_schedule.service.metrics_state import PING_EVENTS, PING_OUTCOMES, SINK_OUTCOMES, Counts

OUTCOMES = ("ok", "fail", "skipped")
PREFIX = "ops_schedule_"
# Not "job": Prometheus gives every scraped series the job label of its target, and the
# Pushgateway that of its group; a metric label of that name would be renamed or overwritten.
JOB_LABEL = "job_name"

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Family:
    """One metric family. A counter's ``name`` has no ``_total``: its samples add it."""

    name: str
    kind: Literal["counter", "gauge"]
    help: str
    samples: tuple[tuple[Labels, float], ...] = ()

    @property
    def sample_name(self) -> str:
        return f"{self.name}_total" if self.kind == "counter" else self.name


@dataclass(frozen=True, slots=True)
class JobFacts:
    """What the store knows of one job, and when it runs next (None: not active)."""

    job: str
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_duration_seconds: float | None = None
    consecutive_failures: int = 0
    next_run_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: str
    jobs: tuple[JobFacts, ...] = ()
    counts: Counts = field(default_factory=Counts)
    sinks: tuple[str, ...] = ()  # configured sinks: their counters start at zero
    last_tick_at: datetime | None = None


def _job(facts: Iterable[JobFacts], value: str) -> tuple[tuple[Labels, float], ...]:
    samples = []
    for fact in facts:
        got = getattr(fact, value)
        if isinstance(got, datetime):
            got = got.timestamp()
        if got is not None:
            samples.append((((JOB_LABEL, fact.job),), float(got)))
    return tuple(samples)


def _counted(
    counts: Mapping[tuple[str, str], float], keys: tuple[str, str], zeros: Iterable[tuple[str, str]]
) -> tuple[tuple[Labels, float], ...]:
    every = dict.fromkeys(zeros, 0.0) | {key: float(n) for key, n in counts.items()}
    return tuple((((keys[0], a), (keys[1], b)), value) for (a, b), value in sorted(every.items()))


def _per_sink(
    counts: Mapping[str, float], sinks: Iterable[str]
) -> tuple[tuple[Labels, float], ...]:
    every = dict.fromkeys(sinks, 0.0) | {sink: float(n) for sink, n in counts.items()}
    return tuple(((("sink", sink),), value) for sink, value in sorted(every.items()))


def metric_families(snapshot: Snapshot) -> list[Family]:
    """Every family that ``run`` writes and the loop serves, in a stable order."""
    jobs, counts = snapshot.jobs, snapshot.counts
    names = [fact.job for fact in jobs]
    sinks = sorted(set(snapshot.sinks) | {sink for sink, _ in counts.posts})
    tick = (((), snapshot.last_tick_at.timestamp()),) if snapshot.last_tick_at is not None else ()
    return [
        Family(
            f"{PREFIX}build_info",
            "gauge",
            "Always 1; the version label says which ops-schedule wrote these metrics.",
            (((("version", snapshot.version),), 1.0),),
        ),
        Family(
            f"{PREFIX}last_tick_timestamp_seconds",
            "gauge",
            "Unix time of the last completed tick (a run of `run`, or a wake of the loop).",
            tick,
        ),
        Family(
            f"{PREFIX}runs",
            "counter",
            "Job runs by job and outcome (ok, fail, skipped).",
            _counted(
                counts.runs, (JOB_LABEL, "outcome"), ((j, o) for j in names for o in OUTCOMES)
            ),
        ),
        Family(
            f"{PREFIX}last_success_timestamp_seconds",
            "gauge",
            "Unix time of the job's last successful (ok or skipped) run.",
            _job(jobs, "last_success_at"),
        ),
        Family(
            f"{PREFIX}last_failure_timestamp_seconds",
            "gauge",
            "Unix time of the job's last failed run.",
            _job(jobs, "last_failure_at"),
        ),
        Family(
            f"{PREFIX}last_run_duration_seconds",
            "gauge",
            "How long the job's last run took, in seconds.",
            _job(jobs, "last_duration_seconds"),
        ),
        Family(
            f"{PREFIX}consecutive_failures",
            "gauge",
            "Failed runs of the job since its last success.",
            _job(jobs, "consecutive_failures"),
        ),
        Family(
            f"{PREFIX}next_run_timestamp_seconds",
            "gauge",
            "Unix time of the job's next scheduled run (active jobs only).",
            _job(jobs, "next_run_at"),
        ),
        Family(
            f"{PREFIX}posts",
            "counter",
            "Deliveries by sink and outcome: posted, reused (the receiver had it), failed.",
            _counted(
                counts.posts, ("sink", "outcome"), ((s, o) for s in sinks for o in SINK_OUTCOMES)
            ),
        ),
        Family(
            f"{PREFIX}post_retries",
            "counter",
            "Retried requests of deliveries, by sink (rate limits included).",
            _per_sink(counts.retries, sinks),
        ),
        Family(
            f"{PREFIX}rate_limit_waits",
            "counter",
            "Waits a receiver asked for (429, 403 rate limits), by sink.",
            _per_sink(counts.rate_limit_waits, sinks),
        ),
        Family(
            f"{PREFIX}rate_limit_wait_seconds",
            "counter",
            "Seconds spent waiting for rate limits to lift, by sink.",
            _per_sink(counts.rate_limit_seconds, sinks),
        ),
        Family(
            f"{PREFIX}pings",
            "counter",
            "Dead-man's-switch pings by event (start, success, failure) and outcome (ok, failed).",
            _counted(
                counts.pings,
                ("event", "outcome"),
                ((e, o) for e in PING_EVENTS for o in PING_OUTCOMES),
            ),
        ),
    ]
