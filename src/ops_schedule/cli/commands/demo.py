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
    "--days", type=click.IntRange(1, 366), default=22, show_default=True, help="Days of events."
)
@click.option(
    "--events",
    type=click.IntRange(0),
    default=450_000,
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
    app: AppContext, *, directory: Path, seed: int, days: int, events: int, locale: str
) -> None:
    """Write a sample event log (ending now), incident state and a demo config.

    Every job is enabled in the demo config and nothing is posted; no token is needed.

    \b
    Examples:
      ops-schedule demo
      ops-schedule --config demo-run/ops-schedule.json run --now
      ops-schedule demo --dir big-demo --events 2000000 --locale en
    """
    from ops_schedule.demo.workspace import write_demo

    files = write_demo(directory, now=utc_now(), seed=seed, days=days, events=events, locale=locale)
    app.say(f"wrote {files.events} ({files.event_lines:,} lines over {days} days)")
    app.say(f"wrote {files.incidents} ({files.incident_lines:,} incident records)")
    app.say(f"wrote {files.config} (all jobs enabled, nothing posted)")
    app.say(f"next: ops-schedule --config {files.config} run --now")
