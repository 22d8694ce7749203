"""``demo``: write sample data and a demo config, to try every job without a real proxy."""

from __future__ import annotations

from pathlib import Path

import click

from ops_schedule.cli.app import AppContext, pass_app
from ops_schedule.clock import utc_now


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-run"),
    show_default=True,
    help="Where to write the sample data and the config.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same data.")
@click.option(
    "--weeks",
    type=click.IntRange(0, 52),
    default=7,
    show_default=True,
    help="Earlier weeks to archive for the weekly jobs, so their trends have history.",
)
@click.option(
    "--days",
    type=click.IntRange(1, 500),
    default=None,
    help="Days of events  [default: enough for --weeks, 64 for 7]",
)
@click.option(
    "--events",
    type=click.IntRange(0),
    default=600_000,
    show_default=True,
    help="How many events to write.",
)
@click.option(
    "--locale",
    type=click.Choice(["ja", "en"]),
    default="ja",
    show_default=True,
    help="Language of the reports.",
)
@pass_app
def demo(
    app: AppContext,
    *,
    directory: Path,
    seed: int,
    weeks: int,
    days: int | None,
    events: int,
    locale: str,
) -> None:
    """Write a sample event log (ending now), incident state and a demo config.

    Every job is enabled in the demo config and nothing is posted; no token is needed. The
    weekly report and the digest of the earlier weeks are archived as the scheduler would have
    written them, so this week's reports show a trend and follow up last week's proposals.

    \b
    Examples:
      ops-schedule demo
      ops-schedule --config demo-run/ops-schedule.json run --now
      ops-schedule demo --dir big-demo --events 2000000 --locale en
    """
    from ops_schedule.config import load_config
    from ops_schedule.demo.history import archive_earlier_weeks
    from ops_schedule.demo.workspace import days_for, write_demo
    from ops_schedule.redaction import build_redactor

    now = utc_now()
    days = days or days_for(weeks)
    files = write_demo(directory, now=now, seed=seed, days=days, events=events, locale=locale)
    app.say(f"wrote {files.events} ({files.event_lines:,} lines over {days} days)")
    app.say(f"wrote {files.incidents} ({files.incident_lines:,} incident records)")
    app.say(f"wrote {files.config} (all jobs enabled, nothing posted)")
    if weeks:
        config = load_config(files.config, {})
        redactor = build_redactor(config.redaction.patterns, config.redaction.placeholder)
        periods = archive_earlier_weeks(config, app.jobs, redactor, now=now, weeks=weeks)
        app.say(
            f"archived the weekly report and digest of {periods[0]} – {periods[-1]} "
            f"in {files.output_dir}"
        )
    app.say(f"next: ops-schedule --config {files.config} run --now")
