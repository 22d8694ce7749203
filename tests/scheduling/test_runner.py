from __future__ import annotations

import json
import secrets
import string
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from runner_fakes import (
    DAILY,
    INSTANT,
    ScriptedJob,
    jobs_of,
    make_config,
    read_state,
    report,
)

from ops_schedule.scheduling.rules import PeriodState
from ops_schedule.scheduling.runner import NotRun, Runner, RunOutcome
from ops_schedule.scheduling.status import JobStatus, job_statuses
from ops_schedule.store.file import JsonStateStore

MINUTE = timedelta(minutes=1)


class Clock:
    """The one clock reading of a tick, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Harness:
    def __init__(self, tmp_path: Path, job: ScriptedJob) -> None:
        self.config = make_config(tmp_path)
        self.clock = Clock(INSTANT)
        self.runner = Runner(self.config, jobs=jobs_of(job), clock=self.clock)
        self.job = job
        self.root = tmp_path

    def tick(self, now: datetime) -> list[RunOutcome]:
        self.clock.now = now
        return self.runner.tick(now)

    def tick_every(self, step: timedelta, start: datetime, end: datetime) -> list[RunOutcome]:
        outcomes = []
        now = start
        while now <= end:
            outcomes += self.tick(now)
            now += step
        return outcomes

    def run_now(self, now: datetime, *, force: bool = False) -> RunOutcome | NotRun:
        self.clock.now = now
        [result] = self.runner.run_now(now, [DAILY], force=force)
        return result

    def status(self, now: datetime) -> JobStatus:
        view = JsonStateStore(self.config.state_dir).view(now)
        [row, *_] = job_statuses(self.config, view, now)
        assert row.job == DAILY
        return row

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = read_state(self.root)["jobs"][DAILY]
        return record

    @property
    def runs(self) -> list[datetime]:
        return [ctx.now for ctx in self.job.contexts]


def harness(tmp_path: Path, *script: str | BaseException) -> Harness:
    return Harness(tmp_path, ScriptedJob(DAILY, list(script)))


def fake_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return "ghp_" + "".join(secrets.choice(alphabet) for _ in range(36))


# --------------------------------------------------------------------------- once per period


def test_repeated_ticks_run_the_job_once_per_period_at_its_instant(tmp_path: Path):
    h = harness(tmp_path)

    outcomes = h.tick_every(10 * MINUTE, INSTANT - timedelta(hours=1), INSTANT + timedelta(days=2))

    assert [o.period_key for o in outcomes] == ["2026-11-26", "2026-11-27", "2026-11-28"]
    assert h.runs == [INSTANT + timedelta(days=day) for day in range(3)]
    assert {o.status for o in outcomes} == {"ok"}
    assert h.record()["runCount"] == 3


def test_a_successful_run_is_archived_and_recorded(tmp_path: Path):
    h = harness(tmp_path)

    [outcome] = h.tick(INSTANT)

    assert outcome.summary == f"{DAILY} 2026-11-26: all fine"
    markdown, data = (Path(path) for path in outcome.archived)
    assert markdown == tmp_path / "reports" / DAILY / "2026-11-26.md"
    assert markdown.read_text(encoding="utf-8") == "# report\n"
    assert json.loads(data.read_text(encoding="utf-8")) == {"n": 1}
    record = h.record()
    assert record["lastStatus"] == "ok"
    assert record["lastPeriod"] == "2026-11-26"
    assert record["lastSummary"] == outcome.summary
    assert record["lastArchive"] == str(markdown)
    assert record["running"] is None


def test_a_tick_does_not_run_a_disabled_job_but_naming_it_does(tmp_path: Path):
    h = harness(tmp_path)
    h.config = h.runner.config = make_config(tmp_path, **{DAILY: {"enabled": False}})

    assert h.tick(INSTANT) == []
    assert h.status(INSTANT).period_state is PeriodState.DISABLED
    result = h.run_now(INSTANT)

    assert isinstance(result, RunOutcome)
    assert result.status == "ok"


# --------------------------------------------------------------------------- failures


def test_a_failing_job_is_retried_with_backoff_doubling_up_to_an_hour_within_the_grace(
    tmp_path: Path,
):
    h = harness(tmp_path, *[RuntimeError("source unavailable")] * 20)

    outcomes = h.tick_every(MINUTE, INSTANT, INSTANT + timedelta(hours=7))

    assert {o.status for o in outcomes} == {"fail"}
    gaps = [int((b - a) / MINUTE) for a, b in zip(h.runs, h.runs[1:], strict=False)]
    assert gaps == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert h.runs[-1] == INSTANT + timedelta(hours=5, minutes=3)  # the next would pass 6 h
    assert h.record()["consecutiveFailures"] == 11
    assert h.status(INSTANT + timedelta(hours=7)).period_state is PeriodState.MISSED


def test_a_failed_job_waits_for_its_backoff_and_status_says_when_it_retries(tmp_path: Path):
    h = harness(tmp_path, RuntimeError("source unavailable"))
    h.tick(INSTANT)

    row = h.status(INSTANT + 30 * timedelta(seconds=1))

    assert row.period_state is PeriodState.RETRYING
    assert row.retry_at == INSTANT + MINUTE
    assert h.tick(INSTANT + timedelta(seconds=59)) == []
    assert [o.status for o in h.tick(INSTANT + MINUTE)] == ["ok"]


def test_consecutive_failures_count_up_and_reset_on_success(tmp_path: Path):
    h = harness(tmp_path, RuntimeError("one"), RuntimeError("two"))

    counts = []
    for minutes in (0, 1, 3):
        h.tick(INSTANT + minutes * MINUTE)
        counts.append((h.record()["lastStatus"], h.record()["consecutiveFailures"]))

    assert counts == [("fail", 1), ("fail", 2), ("ok", 0)]
    assert h.record()["lastError"] is None


def test_status_flags_a_job_after_three_consecutive_failures(tmp_path: Path):
    h = harness(tmp_path, *[RuntimeError("source unavailable")] * 3)

    flags = []
    for minutes in (0, 1, 3):
        h.tick(INSTANT + minutes * MINUTE)
        flags.append(h.status(INSTANT + minutes * MINUTE).flagged)

    assert flags == [False, False, True]


def test_a_job_that_raises_fails_with_its_message_redacted(tmp_path: Path):
    token = fake_token()
    h = harness(tmp_path, RuntimeError(f"upstream rejected {token} for\nevents"))

    [outcome] = h.tick(INSTANT)

    assert outcome.status == "fail"
    assert (
        outcome.error == "RuntimeError: upstream rejected [REDACTED] for / events"
    )  # lines joined by " / "
    assert h.record()["lastError"] == outcome.error
    assert token not in (tmp_path / "state" / "schedule-state.json").read_text(encoding="utf-8")


def test_a_report_summary_is_redacted_in_the_outcome_and_the_state(tmp_path: Path):
    token = fake_token()

    class LeakyJob(ScriptedJob):
        def build(self, ctx: Any) -> Any:
            return report(self.name, ctx.period_key, f"posted with {token}")

    h = Harness(tmp_path, LeakyJob(DAILY))
    [outcome] = h.tick(INSTANT)

    assert outcome.summary == f"{DAILY} 2026-11-26: posted with [REDACTED]"
    assert token not in (tmp_path / "state" / "schedule-state.json").read_text(encoding="utf-8")
    assert token not in Path(outcome.archived[0]).read_text(encoding="utf-8")


def test_a_skipped_job_records_skipped_and_its_period_counts_as_done(tmp_path: Path):
    h = harness(tmp_path, "skip")

    [outcome] = h.tick(INSTANT)
    later = h.tick_every(10 * MINUTE, INSTANT + MINUTE, INSTANT + timedelta(hours=6))

    assert (outcome.status, outcome.summary) == ("skipped", "no incident data for the period")
    assert later == []
    assert h.record()["lastStatus"] == "skipped"
    assert h.record()["donePeriods"] == ["2026-11-26"]
    assert h.status(INSTANT + timedelta(hours=1)).period_state is PeriodState.DONE


# --------------------------------------------------------------------------- manual runs


def test_a_manual_run_counts_as_the_periods_run_so_the_scheduled_tick_skips_it(tmp_path: Path):
    h = harness(tmp_path)

    manual = h.run_now(INSTANT - timedelta(hours=1))
    scheduled = h.tick_every(10 * MINUTE, INSTANT, INSTANT + timedelta(hours=6))

    assert isinstance(manual, RunOutcome)
    assert manual.status == "ok"
    assert manual.period_key == "2026-11-26"
    assert scheduled == []
    assert h.runs == [INSTANT - timedelta(hours=1)]
    assert h.status(INSTANT + MINUTE).period_state is PeriodState.DONE


def test_a_second_manual_run_in_a_done_period_is_refused_unless_forced(tmp_path: Path):
    h = harness(tmp_path)
    h.tick(INSTANT)

    refused = h.run_now(INSTANT + timedelta(hours=1))
    forced = h.run_now(INSTANT + timedelta(hours=2), force=True)

    assert refused == NotRun(
        DAILY, "2026-11-26", "already done for 2026-11-26 (use --force to rerun)"
    )
    assert isinstance(forced, RunOutcome)
    assert (forced.status, forced.forced) == ("ok", True)
    assert len(h.runs) == 2
    assert h.record()["runCount"] == 2


def test_a_manual_run_before_the_periods_instant_reports_up_to_now(tmp_path: Path):
    h = harness(tmp_path)
    early = INSTANT - timedelta(hours=2, minutes=15)

    h.run_now(early)

    [ctx] = h.job.contexts
    assert (ctx.period_key, ctx.window_end, ctx.now) == ("2026-11-26", early, early)


def test_a_manual_run_after_the_periods_instant_reports_up_to_the_instant(tmp_path: Path):
    h = harness(tmp_path)
    late = INSTANT + timedelta(hours=8)  # after the grace, too

    h.run_now(late)

    [ctx] = h.job.contexts
    assert (ctx.period_key, ctx.window_end, ctx.now) == ("2026-11-26", INSTANT, late)


# --------------------------------------------------------------------------- catch-up


def test_a_runner_back_within_the_grace_runs_the_missed_period_once(tmp_path: Path):
    h = harness(tmp_path)
    assert h.tick(INSTANT - timedelta(minutes=10)) == []  # then down over the instant

    outcomes = h.tick_every(MINUTE, INSTANT + timedelta(minutes=90), INSTANT + timedelta(hours=3))

    assert [o.period_key for o in outcomes] == ["2026-11-26"]
    [ctx] = h.job.contexts
    assert ctx.now == INSTANT + timedelta(minutes=90)
    assert ctx.window_end == INSTANT  # the same window as an on-time run


def test_a_runner_back_after_the_grace_does_not_run_and_shows_the_period_missed(
    tmp_path: Path,
):
    h = harness(tmp_path)
    back = INSTANT + timedelta(hours=6, minutes=1)

    assert h.tick_every(10 * MINUTE, back, back + timedelta(hours=12)) == []

    assert h.runs == []
    row = h.status(back)
    assert (row.period_key, row.period_state) == ("2026-11-26", PeriodState.MISSED)
    assert [o.period_key for o in h.tick(INSTANT + timedelta(days=1))] == ["2026-11-27"]


def test_a_runner_down_for_several_periods_runs_at_most_once_when_back(tmp_path: Path):
    h = harness(tmp_path)
    assert h.tick(INSTANT - timedelta(hours=1)) == []
    back = INSTANT + timedelta(days=4, hours=1)

    outcomes = h.tick_every(5 * MINUTE, back, back + timedelta(hours=4))

    assert [o.period_key for o in outcomes] == ["2026-11-30"]
    assert h.record()["runCount"] == 1


def test_every_job_the_config_knows_ships_with_this_version():
    from ops_schedule.config import JOB_NAMES
    from ops_schedule.reports.jobs import JOBS

    assert list(JOBS) == list(JOB_NAMES)
    assert all(JOBS[name].name == name for name in JOB_NAMES)


# --------------------------------------------------------------------------- clock steps


def test_a_clock_stepped_back_by_weeks_or_years_reruns_no_done_period(tmp_path: Path):
    h = harness(tmp_path)
    days = 30
    outcomes = h.tick_every(timedelta(hours=1), INSTANT, INSTANT + timedelta(days=days))
    assert len(outcomes) == days + 1

    for back in (timedelta(days=9), timedelta(days=29), timedelta(days=3 * 365)):
        stepped = INSTANT + timedelta(days=days) - back + 10 * MINUTE  # within that day's grace
        assert h.tick(stepped) == [], f"stepped back {back.days} days: a done period reran"
        assert h.run_now(stepped) == NotRun(
            DAILY,
            stepped.date().isoformat(),
            f"already done for {stepped.date().isoformat()} (use --force to rerun)",
        )
    assert h.record()["runCount"] == days + 1
