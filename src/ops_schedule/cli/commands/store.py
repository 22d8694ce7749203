"""``store``: the state store in use, and moving a single-host install into PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import click

from ops_schedule.cli.app import AppContext, pass_app
from ops_schedule.clock import utc_now
from ops_schedule.store.file import JsonStateStore


@click.group()
def store() -> None:
    """The state store (docs/operations.md, "High availability").

    \b
    Examples:
      OPS_SCHEDULE_STORE_URL=postgresql://ops@db:5432/ops ops-schedule store import
    """


@store.command("import")
@click.option(
    "--from",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="State directory whose schedule-state.json is imported (default: stateDir).",
)
@click.option("--replace", is_flag=True, help="Overwrite records the store already holds.")
@pass_app
def import_state(app: AppContext, state_dir: Path | None, replace: bool) -> None:
    """Copy schedule-state.json into the configured PostgreSQL store.

    Every job keeps its history, done periods included, so nothing is run again. Stop every
    ops-schedule process that uses the file first; the file itself is left as it was.

    \b
    Examples:
      ops-schedule store import
      ops-schedule store import --from /srv/mcp-proxy/logs/schedule-state
    """
    from ops_schedule.store.importer import import_records
    from ops_schedule.store.open import open_store

    config = app.config()
    if config.store.url is None:
        raise click.ClickException(
            "no store to import into: set store.url or OPS_SCHEDULE_STORE_URL to a "
            "postgresql:// URL"
        )
    source = JsonStateStore(state_dir or config.state_dir)
    target = open_store(config)
    try:
        imported = import_records(source, target, utc_now(), replace=replace)
    finally:
        target.close()
    app.say(f"imported {len(imported)} job records from {source.path} into {target.location}")
    for item in imported:
        done = item.record.done_periods[-1] if item.record.done_periods else "-"
        app.say(f"  {item.job}: {item.record.run_count} runs, last done period {done}")
    app.say("the file is left as it was; start the schedulers with the store's URL")
