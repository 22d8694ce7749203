"""The daily and weekly observability report jobs (docs/reports.md).

The window ends at ``ctx.window_end`` (the period's scheduled instant, chosen by the runner) and
starts at the previous period's scheduled instant (``scheduling.rules.window_start``): a local
day or week, 23 to 169 hours across DST changes. The window before it is read in the same pass,
for the deltas. Error messages are redacted as they are read, so an example message is never
held in memory in the clear; every other text from the log (MCP names, error types) is redacted
before the report is formatted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from ops_schedule.config import JobConfig
from ops_schedule.errors import JobError
from ops_schedule.fsutil import NotRegularFileError
from ops_schedule.reports.base import JobContext, Report, Skipped
from ops_schedule.reports.observability.analysis import build_report_data
from ops_schedule.reports.observability.contract import SCHEMA_VERSION, report_json
from ops_schedule.reports.observability.followup import report_follow_up
from ops_schedule.reports.observability.followup_markdown import follow_up_json
from ops_schedule.reports.observability.markdown import report_markdown, report_summary_line
from ops_schedule.reports.observability.model import redact_texts
from ops_schedule.reports.observability.stats import WindowStats
from ops_schedule.reports.observability.trend import observability_trend
from ops_schedule.reports.trend.archive import read_archived
from ops_schedule.reports.trend.contract import trend_json
from ops_schedule.reports.trend.periods import trend_periods
from ops_schedule.scheduling.rules import window_start

BUCKETS = {"daily": timedelta(hours=1), "weekly": timedelta(days=1)}
# The cache of exact partial aggregates of the log, in ``stateDir`` (docs/performance.md).
PARTIALS = "partials.sqlite3"


class CollectStats(Protocol):
    """The shape of ``ops_schedule.reports.observability.reader.collect_stats``."""

    def __call__(
        self,
        path: Path,
        windows: Sequence[tuple[datetime, datetime]],
        *,
        bucket: timedelta,
        redact: Callable[[str], str] | None = None,
        quiet: bool = True,
        cache: Path | None = None,
    ) -> list[WindowStats]: ...


def _collect_stats() -> CollectStats:
    # Imported on use: the reader pulls in multiprocessing and a progress bar, which commands
    # that never read the log should not pay for at start-up.
    from ops_schedule.reports.observability.reader import collect_stats

    return collect_stats


def report_windows(
    job: JobConfig, zone: ZoneInfo, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The previous window and the report's window, oldest first: ``[(a, b), (b, end)]``."""
    start = window_start(job, zone, end)
    return [(window_start(job, zone, start), start), (start, end)]


@dataclass(slots=True)
class ObservabilityReportJob:
    """Reads the event log and reports the window ending at ``ctx.window_end``."""

    name: str
    collect: CollectStats | None = None  # tests inject a fake; None means the real reader

    def build(self, ctx: JobContext) -> Report | Skipped:
        config = ctx.config
        job = config.jobs.get(self.name)
        cadence, bucket = job.cadence, BUCKETS[job.cadence]
        windows = report_windows(job, config.zone, ctx.window_end)
        collect = self.collect or _collect_stats()
        try:
            previous, current = collect(
                config.sources.events,
                windows,
                bucket=bucket,
                redact=ctx.redactor.redact,
                quiet=ctx.quiet,
                cache=config.state_dir / PARTIALS if ctx.cache else None,
            )
        except NotRegularFileError as exc:  # the whole story: the path names no log file
            raise JobError(f"cannot read the event log {config.sources.events}: {exc}") from None
        except OSError as exc:
            raise JobError(f"cannot read the event log {config.sources.events}: {exc}") from exc
        data = redact_texts(
            build_report_data(current, previous, config.thresholds, bucket=bucket),
            ctx.redactor.redact,
        )
        zone, locale = config.zone, config.locale
        document = report_json(data, job=self.name, period=ctx.period_key, locale=locale, zone=zone)
        trend = follow_up = None
        if cadence == "weekly":  # a week of daily numbers is what the weekly report sums up
            earlier = trend_periods(ctx.period_key, config.trend.periods)[:-1]
            archived = read_archived(
                config.output_dir, self.name, earlier, newest_version=SCHEMA_VERSION
            )
            trend = observability_trend(archived, ctx.period_key, document)
            document["trend"] = trend_json(trend)
            follow_up = report_follow_up(archived[-1], data)
            document["followUp"] = follow_up_json(follow_up)
        return Report(
            job=self.name,
            period_key=ctx.period_key,
            summary=report_summary_line(data, cadence=cadence, period=ctx.period_key),
            markdown=report_markdown(
                data,
                cadence=cadence,
                period=ctx.period_key,
                locale=locale,
                zone=zone,
                trend=trend,
                follow_up=follow_up,
            ),
            data=document,
        )
