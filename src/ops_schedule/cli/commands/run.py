"""``run``: evaluate due jobs once (cron-friendly), or run jobs now."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING

import click

from ops_schedule.cli.app import (
    EXIT_JOB_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    AppContext,
    json_option,
    pass_app,
)
from ops_schedule.clock import utc_now
from ops_schedule.configfile import ENV_PUSHGATEWAY_URL, JOB_NAMES, config_path
from ops_schedule.scheduling.idle import nothing_to_do
from ops_schedule.scheduling.view import schedule_of
from ops_schedule.scheduling.viewcache import read_config_file, remember_schedule

if TYPE_CHECKING:
    from ops_schedule.config import Config
    from ops_schedule.scheduling.runner import NotRun, Runner, RunOutcome

log = logging.getLogger(__name__)


@click.command()
@click.option("--now", "now_mode", is_flag=True, help="Run the given (or all enabled) jobs now.")
@click.option("--force", is_flag=True, help="With --now: rerun even if the period is done.")
@json_option
@click.argument("jobs", nargs=-1)
@pass_app
def run(app: AppContext, now_mode: bool, force: bool, as_json: bool, jobs: tuple[str, ...]) -> int:
    """Run the jobs that are due now, once; exit 1 if any failed.

    With --now, run the named jobs (or every enabled job) immediately, whatever the clock;
    still once per period unless --force. Naming a job runs it even when it is disabled.

    A job that another process is running is not run, and the line says by whom and since
    when; exit 1 when that claim is stale. SIGTERM stops the run: the attempt in flight is
    recorded as interrupted (the next run retries it) and the exit code is 143.

    \b
    Examples:
      ops-schedule run
      ops-schedule run --now daily_observability_report
      ops-schedule run --now --force weekly_improvement_digest
    """
    if (jobs or force) and not now_mode:
        raise click.UsageError("job names and --force need --now")
    unknown = [name for name in jobs if name not in JOB_NAMES]
    if unknown:
        raise click.UsageError(
            f"unknown job {', '.join(map(repr, unknown))} (jobs: {', '.join(JOB_NAMES)})"
        )
    now = utc_now()
    if not now_mode and _quiet(app, now):
        app.say(json.dumps([]) if as_json else "nothing due")
        return EXIT_OK
    # Imported here: only a run that may do something pays for the runner, the jobs and the
    # sinks (docs/performance.md, "Redaction and start-up").
    from ops_schedule.scheduling.runner import Runner, RunOutcome
    from ops_schedule.store.open import open_store

    validated = read_config_file(config_path(app.config_path, os.environ))
    config = app.config()
    names = list(jobs) or [name for name in JOB_NAMES if config.job_active(name)]
    if now_mode and not names:
        app.say("no job is enabled; name one: ops-schedule run --now JOB", err=True)
        return EXIT_USAGE
    store = open_store(config)  # for PostgreSQL: one connection for this tick
    try:
        runner = Runner(config, jobs=app.jobs, redactor=app.redactor, quiet=app.quiet, store=store)
        results: list[RunOutcome | NotRun]
        with _stopped_by_sigterm():
            if now_mode:
                results = list(runner.run_now(now, names, force=force))
            else:
                results = list(runner.tick(now))
        _export_metrics(config, runner, results)
    finally:
        store.close()
    if as_json:
        app.say(json.dumps([_as_json(r) for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            app.say(_as_text(result))
        if not results:
            app.say("nothing due")
    schedule = schedule_of(config)
    if validated is not None and schedule is not None:
        # For the next run: its schedule, unless the file changed while it was read.
        remember_schedule(validated, os.environ, schedule)
    failed = any(r.status == "fail" if isinstance(r, RunOutcome) else r.stale for r in results)
    return EXIT_JOB_FAILED if failed else EXIT_OK


def _quiet(app: AppContext, now: datetime) -> bool:
    """Whether the tick at ``now`` would do nothing, told without validating the configuration
    again or loading the runner: from the schedule the last validation of the same file left,
    and the state. Then output uses that configuration's redactor, as after a full load."""
    schedule = app.schedule()
    if schedule is None or _exports_metrics(os.environ):
        return False
    if not nothing_to_do(schedule, now):
        return False
    app.use_schedule(schedule)
    return True


def _exports_metrics(environ: Mapping[str, str]) -> bool:
    """Whether this run pushes metrics from the environment alone: then even a run with
    nothing due loads the configuration, to say when it ticked (a file that sets metrics
    keeps a schedule from being kept at all: scheduling/view.py)."""
    return bool(environ.get(ENV_PUSHGATEWAY_URL, "").strip())


def _export_metrics(config: Config, runner: Runner, results: list[RunOutcome | NotRun]) -> None:
    """The metrics of this run, written and pushed as configured; they never fail it."""
    from ops_schedule.errors import StateError
    from ops_schedule.scheduling.runner import RunOutcome
    from ops_schedule.service.export import export_run, export_wanted

    if not export_wanted(config, os.environ):
        return
    finished = utc_now()
    try:
        view = runner.store.view(finished)
    except StateError as exc:
        log.warning("metrics not written: %s", exc)
        return
    outcomes = [result for result in results if isinstance(result, RunOutcome)]
    records = {name: view.record(name) for name in JOB_NAMES}
    export_run(config, os.environ, outcomes, records, now=finished)


class _Stopped(BaseException):
    """Raised by the SIGTERM handler; a ``BaseException`` so that no job can swallow it."""


class _StoppedBySigterm(click.ClickException):
    exit_code = 128 + signal.SIGTERM

    def __init__(self) -> None:
        super().__init__(
            "stopped by SIGTERM; any run in flight is recorded as interrupted and the next run "
            "retries it"
        )


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM unwinds the run: the runner records the attempt in flight as interrupted, the
    reader processes are ended and reaped, the claim is released; then one error line."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_IGN)  # a second one must not cut the cleanup short
        raise _Stopped

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (a caller embedding the CLI)
        return
    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    except _Stopped:
        raise _StoppedBySigterm from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _as_text(result: RunOutcome | NotRun) -> str:
    from ops_schedule.scheduling.runner import NotRun  # loaded already: see run()

    if isinstance(result, NotRun):
        return f"{result.job} {result.period_key}: not run: {result.reason}"
    lines = [f"{result.job} {result.period_key}: {result.status.upper()}"]
    if result.summary:
        lines.append(f"  {result.summary}")
    if result.error:
        lines.append(f"  error: {result.error}")
    lines.extend(f"  archived: {path}" for path in result.archived)
    if result.comment_url:
        lines.append(f"  posted: {result.comment_url}")
    return "\n".join(lines)


def _as_json(result: RunOutcome | NotRun) -> dict[str, object]:
    from ops_schedule.scheduling.runner import NotRun  # loaded already: see run()

    if isinstance(result, NotRun):
        return {
            "job": result.job,
            "period": result.period_key,
            "status": "not-run",
            "reason": result.reason,
            "staleClaim": result.stale,
        }
    return {
        "job": result.job,
        "period": result.period_key,
        "status": result.status,
        "summary": result.summary,
        "error": result.error,
        "startedAt": result.started_at.isoformat(),
        "finishedAt": result.finished_at.isoformat(),
        "archived": list(result.archived),
        "commentUrl": result.comment_url,
        "forced": result.forced,
    }
