"""``report``: render a report for any window, without posting and without touching state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from ops_schedule.cli.app import AppContext, pass_app
from ops_schedule.clock import utc_now
from ops_schedule.fsutil import atomic_write_text
from ops_schedule.publishing.publish import render_redacted
from ops_schedule.reports.base import JobContext, Skipped
from ops_schedule.scheduling.rules import local_to_utc, period_key_at

KINDS = {
    "daily": "daily_observability_report",
    "weekly": "weekly_observability_report",
    "digest": "weekly_improvement_digest",
}


# A report reads weeks before its end (two windows and the circuit look-back) and a little after
# it; these bounds leave room for that within the dates Python can represent.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def parse_at(text: str, zone: ZoneInfo) -> datetime:
    """An ISO-8601 instant between ``EARLIEST`` and ``LATEST``; without an offset, a local time
    in ``zone``."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO-8601 time (e.g. 2026-11-26T09:00, 2026-11-26T00:00:00Z)",
            param_hint="--at",
        ) from None
    try:
        if parsed.tzinfo is None:  # same DST policy as the schedule: gaps forward, folds first
            instant = local_to_utc(parsed.date(), parsed.time(), zone)
        else:
            instant = parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved across midnight by the offset
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise click.BadParameter(
            f"{text!r} is outside the times a report can cover "
            f"({EARLIEST.date().isoformat()} to {LATEST.date().isoformat()}, UTC)",
            param_hint="--at",
        )
    return instant


def window_period_key(cadence: str, window_end: datetime, zone: ZoneInfo) -> str:
    """The period a window ending at ``window_end`` reports on: the one holding its last instant.

    A window ending at midnight covers the day before, so the key is taken just before the end.
    """
    last = window_end - timedelta(microseconds=1)
    return period_key_at("weekly" if cadence == "weekly" else "daily", last, zone)


@click.command()
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option(
    "--at",
    "at_text",
    metavar="TIME",
    help="End of the window: ISO-8601 with an offset, or local time in the config's timezone "
    "(default: now).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="Markdown for people, or the JSON contract.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read the whole window from the event log; neither use nor fill the cache of "
    "partials in stateDir.",
)
@pass_app
def report(  # noqa: PLR0917 - click passes each option as an argument
    app: AppContext,
    kind: str,
    at_text: str | None,
    output_format: str,
    out: Path | None,
    no_cache: bool,
) -> None:
    """Render a report for the window ending at TIME, without posting or touching state.

    The text is redacted like everything else that leaves the process. Hours of the event log
    that an earlier report read come from the cache of partials in stateDir (the numbers are
    the same); --no-cache reads them again.

    \b
    Examples:
      ops-schedule report daily
      ops-schedule report weekly --at 2026-11-23T09:10 --format json --out week.json
      ops-schedule report digest --at 2026-11-23T00:20:00Z
    """
    config = app.config()
    now = utc_now()
    end = parse_at(at_text, config.zone) if at_text else now
    job_name = KINDS[kind]
    job = app.jobs[job_name]
    cadence = config.jobs.get(job_name).cadence
    ctx = JobContext(
        job=job_name,
        period_key=window_period_key(cadence, end, config.zone),
        window_end=end.astimezone(ZoneInfo("UTC")),
        now=now,
        config=config,
        redactor=app.redactor,
        quiet=app.quiet,
        cache=not no_cache,
    )
    result = job.build(ctx)
    if isinstance(result, Skipped):
        app.say(f"{job_name} {ctx.period_key}: skipped: {result.reason}")
        return
    rendered = render_redacted(result, app.redactor)
    text = rendered.json if output_format == "json" else rendered.markdown
    if out is None:
        app.say(text.rstrip("\n"))
        return
    atomic_write_text(out, text)
    app.say(f"wrote {out} ({result.summary})")
