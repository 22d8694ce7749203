"""Earlier weeks for the demo's archive, so its weekly report and digest show a trend and a
follow-up on a fresh clone (docs/reports.md, "The demo").

Each earlier week is built by the real job for that week's period and window, as the
scheduler would have run it then, and archived by the real publisher; nothing is posted and
the schedule state is not touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta

from ops_schedule.config import Config
from ops_schedule.publishing.publish import publish
from ops_schedule.redaction import Redactor
from ops_schedule.reports.base import Job, JobContext, Skipped
from ops_schedule.scheduling.rules import current_slot, local_to_utc

WEEKLY_JOBS = ("weekly_observability_report", "weekly_improvement_digest")


def archive_earlier_weeks(
    config: Config, jobs: Mapping[str, Job], redactor: Redactor, *, now: datetime, weeks: int
) -> list[str]:
    """Archive the ``weeks`` weeks before the current one for each weekly job, oldest first;
    return the period keys written."""
    zone = config.zone
    today = now.astimezone(zone).date()
    written: list[str] = []
    for back in range(weeks, 0, -1):
        # Local calendar arithmetic, then the slot: a DST change between cannot shift the week.
        noon = local_to_utc(today - timedelta(days=7 * back), time(12), zone)
        for name in WEEKLY_JOBS:
            slot = current_slot(config.jobs.get(name), zone, noon)
            context = JobContext(name, slot.period_key, slot.scheduled, now, config, redactor)
            result = jobs[name].build(context)
            if not isinstance(result, Skipped):
                publish(result, config.output_dir, redactor)
        written.append(slot.period_key)
    return written
