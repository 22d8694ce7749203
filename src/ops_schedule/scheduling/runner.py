"""One tick: decide what is due, claim it, run it, publish it, record it.

The clock is read by the caller and handed in as ``now``; the runner reads it again only to
stamp when a run finished.
"""

from __future__ import annotations

import logging
import os
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from ops_schedule.clock import Clock, utc_now
from ops_schedule.config import JOB_NAMES, Config
from ops_schedule.errors import JobError, SinkError
from ops_schedule.processes import this_process
from ops_schedule.publishing.publish import Archived, archive, post
from ops_schedule.publishing.sinks.github_setup import posting_problems
from ops_schedule.redaction import Redactor, build_redactor, environment_secrets, redact_error
from ops_schedule.reports.base import Job, JobContext, Report, Skipped
from ops_schedule.scheduling.history import decision_for, history_of
from ops_schedule.scheduling.holds import hold_of, stale_after
from ops_schedule.scheduling.rules import (
    PeriodState,
    current_slot,
    next_scheduled,
)
from ops_schedule.store.file import JobRecord, JsonStateStore, Running, process_alive

if TYPE_CHECKING:
    from ops_schedule.publishing.sinks.base import Sink

log = logging.getLogger(__name__)

BUSY = "another ops-schedule process holds this job's claim"
# A claim held although the process in the marker is gone may be a new holder that has not yet
# replaced the marker of a killed one: look again after this long (seconds) before saying so.
RECHECK_GONE_HOLDER = 0.2
Outcome = Literal["ok", "fail", "skipped"]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What happened to one job in one tick or manual run."""

    job: str
    period_key: str
    status: Outcome
    summary: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime
    comment_url: str | None = None
    archived: tuple[str, ...] = ()
    forced: bool = False


@dataclass(frozen=True, slots=True)
class NotRun:
    """A job that was asked for but not run, and why (shown by ``run --now``)."""

    job: str
    period_key: str
    reason: str
    held: bool = False  # due, but another process holds the claim (``reason`` says who)
    stale: bool = False  # ... and has held it for too long, or died leaving it held


SinkFactory = Callable[[Config, str], "Sink"]


def default_sink_factory(environ: Mapping[str, str]) -> SinkFactory:
    def factory(config: Config, job: str) -> Sink:
        # Checked before the job is built, so no work is wasted on a run that cannot post.
        problems = posting_problems(config, environ, job)
        if problems:
            raise JobError("; ".join(problems))
        # Imported here: only a run that posts pays for the HTTP stack.
        from ops_schedule.publishing.sinks.github import build_sink

        return build_sink(config, environ)

    return factory


class Runner:
    """Runs jobs against one config, one state store, and one clock."""

    def __init__(
        self,
        config: Config,
        *,
        jobs: Mapping[str, Job],
        clock: Clock = utc_now,
        store: JsonStateStore | None = None,
        sink_factory: SinkFactory | None = None,
        environ: Mapping[str, str] | None = None,
        redactor: Redactor | None = None,
        quiet: bool = True,
    ) -> None:
        self.config = config
        self.jobs = jobs
        self.clock = clock
        self.store = store or JsonStateStore(config.state_dir)
        environ = os.environ if environ is None else environ
        self.sink_factory = sink_factory or default_sink_factory(environ)
        # The CLI and the loop hand in the redactor they built when the config loaded.
        self.redactor: Redactor = redactor or build_redactor(
            config.redaction.patterns,
            config.redaction.placeholder,
            environment_secrets(environ),  # the token, whatever GitHub's own text quotes
        )
        self.quiet = quiet

    def tick(self, now: datetime) -> list[RunOutcome | NotRun]:
        """Run every job that is due at ``now``, one after another.

        Returns what ran, and the due jobs whose claim another process holds.
        """
        outcomes: list[RunOutcome | NotRun] = []
        for name in JOB_NAMES:
            if not self.config.job_active(name):
                continue
            outcome = self._attempt(name, now, manual=False, force=False)
            if isinstance(outcome, RunOutcome) or outcome.held:
                outcomes.append(outcome)
        return outcomes

    def run_now(
        self, now: datetime, names: Sequence[str], *, force: bool = False
    ) -> list[RunOutcome | NotRun]:
        """Run the named jobs now for the current period, once per period unless ``force``."""
        return [self._attempt(name, now, manual=True, force=force) for name in names]

    # ------------------------------------------------------------------ internals

    def _attempt(
        self, name: str, now: datetime, *, manual: bool, force: bool
    ) -> RunOutcome | NotRun:
        with self.store.claim(name) as claimed:
            if not claimed:
                return self._held(name, now, manual=manual)
            with self.store.transaction(now) as txn:
                record = txn.job(name)
                if record.running is not None:
                    log.warning(
                        "%s: the previous attempt for %s was interrupted; recorded as failed",
                        name,
                        record.running.period,
                    )
                    record = record.interrupted()
                plan = self._plan(name, record, now, manual=manual, force=force)
                if isinstance(plan, NotRun):
                    txn.put(record)
                    return plan
                period_key, window_end = plan
                pid, host = this_process()
                txn.put(record.started(Running(period_key, now, pid, host)))
            return self._execute(name, period_key, window_end, now, forced=force)

    def _held(self, name: str, now: datetime, *, manual: bool) -> NotRun:
        """The claim on ``name`` is held by another process: by whom, since when, and whether
        the hold is stale (docs/design.md, "Exactly once"). Only a due job is worth a word."""
        record = self.store.load(now).job(name)
        decision = decision_for(self.config, name, record, now)
        if manual:
            period = current_slot(self.config.jobs.get(name), self.config.zone, now).period_key
        elif decision.due:
            period = decision.slot.period_key
        else:
            log.info("%s %s: %s", name, decision.slot.period_key, BUSY)
            return NotRun(name, decision.slot.period_key, BUSY)
        running = record.running
        if running is not None and not process_alive(running):
            _time.sleep(RECHECK_GONE_HOLDER)
            running = self.store.load(now).job(name).running
        if running is None:
            log.info("%s %s: not run: %s", name, period, BUSY)
            return NotRun(name, period, BUSY, held=True)
        hold = hold_of(
            running, now, gone=not process_alive(running), limit=stale_after(self.config)
        )
        reason = hold.describe(str(self.store.claim_path(name)))
        log.log(
            logging.WARNING if hold.stale else logging.INFO,
            "%s %s: not run: %s",
            name,
            period,
            reason,
        )
        return NotRun(name, period, reason, held=True, stale=hold.stale)

    def _plan(
        self, name: str, record: JobRecord, now: datetime, *, manual: bool, force: bool
    ) -> tuple[str, datetime] | NotRun:
        """Decide, under the claim, which period to run and where its window ends."""
        if not manual:
            decision = decision_for(self.config, name, record, now)
            if not decision.due:
                return NotRun(name, decision.slot.period_key, decision.state.value)
            return decision.slot.period_key, decision.slot.scheduled
        job = self.config.jobs.get(name)
        slot = current_slot(job, self.config.zone, now)
        if not force and history_of(record, job, self.config).is_done(slot.period_key):
            return NotRun(
                name, slot.period_key, f"already done for {slot.period_key} (use --force to rerun)"
            )
        # A manual run reports the period's window if its instant has passed, else up to now.
        return slot.period_key, min(slot.scheduled, now.astimezone(UTC))

    def _execute(
        self, name: str, period_key: str, window_end: datetime, now: datetime, *, forced: bool
    ) -> RunOutcome:
        started = _time.monotonic()
        status: Outcome = "fail"
        summary = error = comment_url = None
        archived: tuple[str, ...] = ()
        try:
            try:
                sink = self._sink(name)
                result = self.jobs[name].build(
                    JobContext(
                        name, period_key, window_end, now, self.config, self.redactor, self.quiet
                    )
                )
                if isinstance(result, Skipped):
                    status, summary = "skipped", result.reason
                else:
                    # Archived first and named in the outcome even when the post then fails.
                    written = self._archive(result)
                    archived = (str(written.markdown_path), str(written.json_path))
                    if sink is not None:
                        comment_url = post(result, written, sink).url
                    status, summary = "ok", result.summary
            except SinkError as exc:
                error = self._describe(exc)
            except Exception as exc:  # a job must never take the runner down with it
                log.debug("job %s failed", name, exc_info=True)
                error = self._describe(exc)
        except BaseException:
            # SIGINT/SIGTERM mid-job: record the abandoned attempt, then let the stop proceed.
            self._record(
                name,
                period_key=period_key,
                status="fail",
                error="interrupted: stopped by a signal",
                outcome=None,
                duration=None,
            )
            raise
        redacted_summary = self.redactor.redact(summary) if summary else None
        outcome = RunOutcome(
            job=name,
            period_key=period_key,
            status=status,
            summary=redacted_summary,
            error=error,
            started_at=now,
            finished_at=self.clock(),
            comment_url=comment_url,
            archived=archived,
            forced=forced,
        )
        self._record(
            name,
            period_key=period_key,
            status=status,
            error=error,
            outcome=outcome,
            duration=_time.monotonic() - started,
        )
        level = logging.WARNING if status == "fail" else logging.INFO
        log.log(level, "%s %s: %s", name, period_key, error or redacted_summary or status)
        return outcome

    def _sink(self, name: str) -> Sink | None:
        if not self.config.jobs.get(name).post_to_issue:
            return None
        return self.sink_factory(self.config, name)

    def _archive(self, report: Report) -> Archived:
        try:
            return archive(report, self.config.output_dir, self.redactor)
        except OSError as exc:
            raise JobError(
                f"cannot archive the report under {self.config.output_dir}: {exc.strerror}"
            ) from None

    def _describe(self, exc: BaseException) -> str:
        return redact_error(exc, self.redactor)

    def _record(
        self,
        name: str,
        *,
        period_key: str,
        status: Outcome,
        error: str | None,
        outcome: RunOutcome | None,
        duration: float | None,
    ) -> None:
        finished = outcome.finished_at if outcome else self.clock()
        with self.store.transaction(finished) as txn:
            txn.put(
                txn.job(name).finished(
                    period=period_key,
                    status=status,
                    at=finished,
                    error=error,
                    summary=outcome.summary if outcome else None,
                    comment_url=outcome.comment_url if outcome else None,
                    archive=outcome.archived[0] if outcome and outcome.archived else None,
                    duration_seconds=round(duration, 3) if duration is not None else None,
                )
            )


def next_wake(config: Config, now: datetime) -> datetime | None:
    """The earliest future instant at which some active job may become due, or None."""
    store = JsonStateStore(config.state_dir)
    state = store.load(now)
    candidates = []
    for name, job in config.jobs.items():
        if not config.job_active(name):
            continue
        candidates.append(next_scheduled(job, config.zone, now))
        decision = decision_for(config, name, state.job(name), now)
        if decision.state is PeriodState.RETRYING and decision.retry_at:
            candidates.append(decision.retry_at)
    return min(candidates, default=None)
