"""``health``: is the loop alive and ticking? For the container's HEALTHCHECK and monitors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from ops_schedule.cli.app import EXIT_JOB_FAILED, EXIT_OK, EXIT_USAGE, AppContext, pass_app
from ops_schedule.config import Config
from ops_schedule.errors import ConfigError, StateError
from ops_schedule.service.heartbeat import DEFAULT_BUSY_LIMIT, heartbeat_path, judge, read_heartbeat


@click.command()
@click.option(
    "--max-age",
    type=click.FloatRange(min=0, min_open=True),
    help="Oldest acceptable heartbeat in seconds (default: three tick intervals of the loop).",
)
@click.option(
    "--max-tick",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_BUSY_LIMIT.total_seconds(),
    show_default=True,
    help="How long one tick (a long report, GitHub retries) may run before it counts as stuck.",
)
@pass_app
def health(app: AppContext, max_age: float | None, max_tick: float) -> int:
    """Exit 0 when the loop ticked recently and the config is valid; else say why.

    Reads the heartbeat that `ops-schedule loop` writes in the state directory after every
    tick, then checks that the state store answers. Exit 1 when the heartbeat is missing, stale
    or the loop stopped, or the store cannot be reached; exit 2 when the configuration is
    invalid. Prints one line either way.

    \b
    Examples:
      ops-schedule health
      ops-schedule health --max-age 300
    """
    try:
        config = app.config()
    except ConfigError as exc:
        where = f" in {exc.source}" if exc.source else ""
        app.say(f"unhealthy: invalid configuration{where}: {'; '.join(exc.problems)}", err=True)
        return EXIT_USAGE
    path = heartbeat_path(config.state_dir)
    try:
        heartbeat = read_heartbeat(config.state_dir)
    except ValueError as exc:
        app.say(f"unhealthy: heartbeat {path} is unreadable: {exc}", err=True)
        return EXIT_JOB_FAILED
    verdict = judge(
        heartbeat,
        datetime.now(UTC),
        max_age=max_age,
        busy_limit=timedelta(seconds=max_tick),
        where=str(path),
    )
    if verdict.healthy:
        problem = _store_problem(config)
        if problem is not None:
            app.say(f"unhealthy: {problem}", err=True)
            return EXIT_JOB_FAILED
        app.say(verdict.reason)
        return EXIT_OK
    app.say(f"unhealthy: {verdict.reason}", err=True)
    return EXIT_JOB_FAILED


def _store_problem(config: Config) -> str | None:
    """Why the state store does not answer, or None: a loop that ticks but cannot reach its
    store runs nothing."""
    from ops_schedule.store.open import open_store

    store = open_store(config)
    try:
        store.check()
    except StateError as exc:
        return str(exc)
    finally:
        store.close()
    return None
