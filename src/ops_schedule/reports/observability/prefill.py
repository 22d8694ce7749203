"""Filling the cache of partials ahead of the scheduled reports, while ``loop`` is idle.

A scheduled report reads from the event log what no earlier reading cached. Between two runs,
``loop`` reads the part of each observability report's next window that has already passed (and
the window before it), at most every ``EVERY``, so that at the scheduled instant the report
finds all but its last minutes cached (docs/performance.md#cached-partials). Nothing else
changes: a fill caches what the report would read, and the report's numbers are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Final

from ops_schedule.config import Config
from ops_schedule.reports.base import Job
from ops_schedule.reports.observability.job import (
    BUCKETS,
    PARTIALS,
    ObservabilityReportJob,
    report_windows,
)
from ops_schedule.scheduling.rules import next_scheduled

EVERY: Final = timedelta(minutes=15)


def fill_partials(
    config: Config,
    now: datetime,
    jobs: Mapping[str, Job],
    filled: MutableMapping[str, datetime],
) -> list[str]:
    """Read into the cache what each enabled observability report's next run will need of the
    log up to ``now``; ``filled`` remembers when each job was last filled. Returns the jobs
    filled. Without a state directory there is no cache, and nothing is read."""
    if not config.state_dir.is_dir():
        return []
    from ops_schedule.reports.observability.reader import collect_stats

    done: list[str] = []
    for name, job in config.jobs.items():
        if not config.job_active(name) or not isinstance(jobs.get(name), ObservabilityReportJob):
            continue
        last = filled.get(name)
        if last is not None and timedelta(0) <= now - last < EVERY:
            continue
        filled[name] = now
        end = next_scheduled(job, config.zone, now)
        (before, start), _ = report_windows(job, config.zone, end)
        upto = now.replace(second=0, microsecond=0)
        windows = [(before, start)] + ([(start, upto)] if start < upto < end else [])
        collect_stats(
            config.sources.events,
            windows,
            bucket=BUCKETS[job.cadence],
            cache=config.state_dir / PARTIALS,
        )
        done.append(name)
    return done
