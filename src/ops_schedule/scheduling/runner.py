"""One tick: decide what is due, claim it, run it, publish it, record it.

The clock is read by the caller and handed in as ``now``; the runner reads it again only to
stamp when a run finished.
"""

from __future__ import annotations

import logging
import os
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from ops_schedule.clock import Clock, utc_now
from ops_schedule.config import JOB_NAMES, Config
from ops_schedule.config.secrets import literal_secrets
from ops_schedule.errors import JobError, SinkError, StateError
from ops_schedule.logfields import log_fields
from ops_schedule.processes import this_process
from ops_schedule.publishing.outlets import Outlets
from ops_schedule.publishing.publish import Archived, archive, deliver
from ops_schedule.publishing.telemetry import Recorder, Telemetry
from ops_schedule.redaction import Redactor, build_redactor, redact_error
from ops_schedule.reports.base import Job, JobContext, Report, Skipped
from ops_schedule.scheduling.history import decision_for, history_of
from ops_schedule.scheduling.holds import hold_of, stale_after
from ops_schedule.scheduling.rules import (
    PeriodState,
    current_slot,
    next_scheduled,
)
from ops_schedule.store.base import Busy, Claim, StateStore, StoreView
from ops_schedule.store.open import open_store
from ops_schedule.store.records import JobRecord, Running
from ops_schedule.timefmt import utc_iso

if TYPE_CHECKING:
    from ops_schedule.publishing.sinks.base import Delivered, Outgoing, Sink

log = logging.getLogger(__name__)

BUSY = "another ops-schedule process holds this job's claim"
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
    telemetry: Telemetry = field(default_factory=Telemetry)  # what the sinks and pings did


@dataclass(frozen=True, slots=True)
class NotRun:
    """A job that was asked for but not run, and why (shown by ``run --now``)."""

    job: str
    period_key: str
    reason: str
    held: bool = False  # due, but another process holds the claim (``reason`` says who)
    stale: bool = False  # ... and has held it for too long, or died leaving it held


@dataclass(frozen=True, slots=True)
class GuardedSink:
    """Delivers only while ``guard()`` passes: a holder whose claim was lost must not post."""

    sink: Sink
    guard: Callable[[], None]

    @property
    def name(self) -> str:
        return self.sink.name

    @property
    def idempotent(self) -> bool:
        return self.sink.idempotent

    def deliver(self, outgoing: Outgoing) -> Delivered:
        self.guard()  # the last safe point before anything leaves the process
        return self.sink.deliver(outgoing)


class Runner:
    """Runs jobs against one config, one state store, and one clock.

    Without ``store`` it opens the configured one; closing it (``runner.store.close()``) is then
    the caller's part, as for a store handed in.
    """

    def __init__(
        self,
        config: Config,
        *,
        jobs: Mapping[str, Job],
        clock: Clock = utc_now,
        store: StateStore | None = None,
        outlets: Outlets | None = None,
        environ: Mapping[str, str] | None = None,
        redactor: Redactor | None = None,
        quiet: bool = True,
    ) -> None:
        self.config = config
        self.jobs = jobs
        self.clock = clock
        self.store = store or open_store(config)
        environ = os.environ if environ is None else environ
        # The one place that knows where results go and who hears of a run.
        self.outlets = outlets or Outlets(config, environ)
        # The CLI and the loop hand in the redactor they built when the config loaded.
        self.redactor: Redactor = redactor or build_redactor(
            config.redaction.patterns,
            config.redaction.placeholder,
            literal_secrets(environ, config),  # the token, the sinks' and pings' URLs
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
        with self.store.claim(name, now) as claim:
            if isinstance(claim, Busy):
                return self._held(name, now, claim, manual=manual)
            record = claim.record
            if record.running is not None:
                log.warning(
                    "%s: the previous attempt for %s was interrupted; recorded as failed",
                    name,
                    record.running.period,
                    extra=log_fields(name, record.running.period, status="interrupted"),
                )
                record = record.interrupted()
            plan = self._plan(name, record, now, manual=manual, force=force)
            if isinstance(plan, NotRun):
                if record != claim.record or record == JobRecord(job_name=name):
                    claim.save(record, now)  # an interrupted attempt, or a job's first record
                return plan
            period_key, window_end = plan
            pid, host = this_process()
            started = record.started(Running(period_key, now, pid, host))
            claim.save(started, now)
            return self._execute(claim, started, period_key, window_end, now, forced=force)

    def _held(self, name: str, now: datetime, busy: Busy, *, manual: bool) -> NotRun:
        """The claim on ``name`` is held by another process: by whom, since when, and whether
        the hold is stale (docs/design.md, "Exactly once"). Only a due job is worth a word."""
        record = busy.record
        decision = decision_for(self.config, name, record, now)
        if manual:
            period = current_slot(self.config.jobs.get(name), self.config.zone, now).period_key
        elif decision.due:
            period = decision.slot.period_key
        else:
            log.info(
                "%s %s: %s",
                name,
                decision.slot.period_key,
                BUSY,
                extra=log_fields(name, decision.slot.period_key, status="not-run"),
            )
            return NotRun(name, decision.slot.period_key, BUSY)
        holder = busy.holder
        if holder is None:
            log.info(
                "%s %s: not run: %s",
                name,
                period,
                BUSY,
                extra=log_fields(name, period, status="not-run"),
            )
            return NotRun(name, period, BUSY, held=True)
        marker = Running(record.running.period if record.running else period, holder.since,
                         holder.pid, holder.host)  # fmt: skip
        seen = holder.seen_at(now)
        hold = hold_of(marker, seen, gone=holder.gone, limit=stale_after(self.config))
        reason = hold.describe(holder.where or self.store.location)
        if holder.until is not None:
            reason += f"; its lease runs until {utc_iso(holder.until, 'seconds')}"
        log.log(
            logging.WARNING if hold.stale else logging.INFO,
            "%s %s: not run: %s",
            name,
            period,
            reason,
            extra=log_fields(name, period, status="stale-claim" if hold.stale else "not-run"),
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
        self,
        claim: Claim,
        record: JobRecord,
        period_key: str,
        window_end: datetime,
        now: datetime,
        *,
        forced: bool,
    ) -> RunOutcome:
        name = record.job_name
        started = _time.monotonic()
        status: Outcome = "fail"
        summary = error = comment_url = None
        archived: tuple[str, ...] = ()
        recorder = Recorder()
        pings = self.outlets.pings(name, period_key, recorder)
        pings.start()
        try:
            try:
                sinks = self.outlets.sinks(name, recorder)
                result = self.jobs[name].build(
                    JobContext(
                        name, period_key, window_end, now, self.config, self.redactor, self.quiet
                    )
                )
                if isinstance(result, Skipped):
                    status, summary = "skipped", result.reason
                else:
                    # Archived first and named in the outcome even when a delivery then fails.
                    written = self._archive(result)
                    archived = (str(written.markdown_path), str(written.json_path))
                    # The last safe point: a holder that lost its claim delivers nothing.
                    delivery = deliver(
                        written.outgoing,
                        [GuardedSink(sink, claim.renew) for sink in sinks],
                        ledger=self.outlets.ledger(name),
                        recorder=recorder,
                    )
                    comment_url = delivery.comment_url
                    status, summary = "ok", result.summary
            except (SinkError, StateError) as exc:
                error = self._describe(exc)
            except Exception as exc:  # a job must never take the runner down with it
                log.debug("job %s failed", name, exc_info=True)
                error = self._describe(exc)
        except BaseException:
            # SIGINT/SIGTERM mid-job: record the abandoned attempt, then let the stop proceed.
            self._record(claim, record, period_key, "fail", "interrupted: stopped by a signal")
            raise
        finished = self.clock()
        duration = _time.monotonic() - started
        redacted_summary = self.redactor.redact(summary) if summary else None
        archive = archived[0] if archived else None
        unrecorded = self._record(
            claim,
            record,
            period_key,
            status,
            error,
            finished=finished,
            summary=redacted_summary,
            comment_url=comment_url,
            archive=archive,
            duration=duration,
        )
        if unrecorded is not None and status != "fail":  # a result stands once it is recorded
            status, error = "fail", unrecorded
        outcome = RunOutcome(
            job=name,
            period_key=period_key,
            status=status,
            summary=redacted_summary,
            error=error,
            started_at=now,
            finished_at=finished,
            comment_url=comment_url,
            archived=archived,
            forced=forced,
        )
        said = error or redacted_summary or status
        # Told after the record: a slow ping service delays nothing that matters.
        pings.finish(ok=status != "fail", text=f"{name} {period_key}: {said}", duration=duration)
        log.log(
            logging.WARNING if status == "fail" else logging.INFO,
            "%s %s: %s",
            name,
            period_key,
            said,
            extra=log_fields(name, period_key, status=status, duration=duration),
        )
        return replace(outcome, telemetry=recorder.freeze())

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
        claim: Claim,
        record: JobRecord,
        period_key: str,
        status: Outcome,
        error: str | None,
        *,
        finished: datetime | None = None,
        summary: str | None = None,
        comment_url: str | None = None,
        archive: str | None = None,
        duration: float | None = None,
    ) -> str | None:
        """Record the attempt under the claim. Returns why it could not be, or None.

        A lost claim or an unreachable store leaves the record to the next holder, which finds
        the attempt's ``running`` marker.
        """
        at = finished or self.clock()
        done = record.finished(
            period=period_key,
            status=status,
            at=at,
            error=error,
            summary=summary,
            comment_url=comment_url,
            archive=archive,
            duration_seconds=round(duration, 3) if duration is not None else None,
        )
        try:
            claim.renew()  # the safe point before recording; save() is fenced as well
            claim.save(done, at)
        except StateError as exc:
            problem = f"not recorded: {self._describe(exc)}"
            log.warning("%s %s: %s", record.job_name, period_key, problem)
            return problem
        return None


def next_wake(config: Config, view: StoreView, now: datetime) -> datetime | None:
    """The earliest future instant at which some active job may become due, or None."""
    candidates = []
    for name, job in config.jobs.items():
        if not config.job_active(name):
            continue
        candidates.append(next_scheduled(job, config.zone, now))
        decision = decision_for(config, name, view.record(name), now)
        if decision.state is PeriodState.RETRYING and decision.retry_at:
            candidates.append(decision.retry_at)
    return min(candidates, default=None)
