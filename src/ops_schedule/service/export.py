"""The metrics of a tick, written to the textfile and pushed to the Pushgateway as configured.

``run`` calls :func:`export_run` once, after its jobs; the loop calls :func:`publish_metrics`
after each tick. Writing or pushing never fails a job or the run: a problem is one warning
line, without the Pushgateway's URL (docs/design.md, "Watched from outside").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from ops_schedule import __version__
from ops_schedule.config import JOB_NAMES, Config
from ops_schedule.config.secrets import from_environment
from ops_schedule.configfile import ENV_PUSHGATEWAY_URL
from ops_schedule.fsutil import atomic_write_text
from ops_schedule.publishing.outlets import sink_names
from ops_schedule.scheduling.rules import next_scheduled
from ops_schedule.service.exposition import render
from ops_schedule.service.metric_families import JobFacts, Snapshot, metric_families
from ops_schedule.service.metrics_state import Counts, CountsFile, OutcomeLike

log = logging.getLogger(__name__)


class RecordLike(Protocol):
    """What the metrics need of a job's stored record (``store.file.JobRecord`` fits)."""

    @property
    def last_success_at(self) -> datetime | None: ...
    @property
    def last_run_at(self) -> datetime | None: ...
    @property
    def last_status(self) -> str | None: ...
    @property
    def consecutive_failures(self) -> int: ...
    @property
    def last_duration_seconds(self) -> float | None: ...


def pushgateway_url(config: Config, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    return from_environment(environ, ENV_PUSHGATEWAY_URL, config.metrics.pushgateway.url)


def export_wanted(config: Config, environ: Mapping[str, str]) -> bool:
    """Whether metrics are written or pushed after each tick."""
    return config.metrics.textfile is not None or any(pushgateway_url(config, environ))


def next_runs(config: Config, now: datetime) -> dict[str, datetime | None]:
    """PURE: each job's next scheduled instant after ``now``; None for a job not active."""
    return {
        name: next_scheduled(job, config.zone, now) if config.job_active(name) else None
        for name, job in config.jobs.items()
    }


def snapshot_of(
    config: Config,
    records: Mapping[str, RecordLike],
    counts: Counts,
    *,
    upcoming: Mapping[str, datetime | None],
    last_tick_at: datetime | None,
) -> Snapshot:
    """PURE: what the families show after a tick (``upcoming``: :func:`next_runs`)."""
    facts = []
    for name in JOB_NAMES:
        record = records.get(name)
        failed_at = counts.last_failure_at.get(name)
        if record is not None and record.last_status == "fail" and record.last_run_at:
            failed_at = max(filter(None, (failed_at, record.last_run_at)))
        facts.append(
            JobFacts(
                job=name,
                last_success_at=record.last_success_at if record else None,
                last_failure_at=failed_at,
                last_duration_seconds=record.last_duration_seconds if record else None,
                consecutive_failures=record.consecutive_failures if record else 0,
                next_run_at=upcoming.get(name),
            )
        )
    return Snapshot(
        version=__version__,
        jobs=tuple(facts),
        counts=counts,
        sinks=sink_names(config),
        last_tick_at=last_tick_at,
    )


def publish_metrics(config: Config, environ: Mapping[str, str], snapshot: Snapshot) -> None:
    """Write the textfile and push to the Pushgateway, as configured; never raises."""
    text = render(metric_families(snapshot))
    if config.metrics.textfile is not None:
        try:
            # Renamed into place: node_exporter never reads half a file (and skips *.tmp).
            atomic_write_text(config.metrics.textfile, text)
        except OSError as exc:
            log.warning("cannot write the metrics to %s: %s", config.metrics.textfile, exc.strerror)
    url, problem = pushgateway_url(config, environ)
    if problem is not None:
        log.warning("metrics not pushed: %s", problem)
    if url is None:
        return
    from ops_schedule.service.pushgateway import PushError, push

    gateway = config.metrics.pushgateway
    try:
        push(
            url,
            text,
            job=gateway.job,
            instance=gateway.instance,
            timeout=gateway.timeout_seconds,
        )
    except PushError as exc:
        log.warning("metrics not pushed: %s", exc)


def export_run(
    config: Config,
    environ: Mapping[str, str],
    outcomes: Iterable[OutcomeLike],
    records: Mapping[str, RecordLike],
    *,
    now: datetime,
) -> None:
    """After a ``run``: add its outcomes to the counters, then write and push; never raises."""
    if not export_wanted(config, environ):
        return
    outcomes = list(outcomes)
    try:
        counts = CountsFile(config.state_dir).add(outcomes)
    except OSError as exc:
        log.warning("cannot keep the metrics' counters in %s: %s", config.state_dir, exc.strerror)
        counts = Counts().add(outcomes)
    upcoming = next_runs(config, now)
    snapshot = snapshot_of(config, records, counts, upcoming=upcoming, last_tick_at=now)
    publish_metrics(config, environ, snapshot)
