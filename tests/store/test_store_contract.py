"""The store contract, kept by both stores: the same tests against the file and PostgreSQL.

Each test takes ``open_store``: every call opens another store on the same state (another
"process" for the claims: the file store's kernel locks are per open file, the PostgreSQL
store's per connection and owner).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from runner_fakes import DAILY, INSTANT, WEEKLY, CountingJob, executions, jobs_of, raw_config

from ops_schedule.config import Config, parse_config
from ops_schedule.processes import this_process
from ops_schedule.scheduling.runner import Runner
from ops_schedule.scheduling.status import job_statuses
from ops_schedule.store.base import Busy, Claim, StateStore
from ops_schedule.store.file import JsonStateStore
from ops_schedule.store.records import JobRecord, Running
from ops_schedule.store.url import parse_store_url

NOW = INSTANT
OpenStore = Callable[[], StateStore]


@pytest.fixture(params=["file", "postgresql"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_config(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, object]:
    """The ``store`` section of a config for this kind of store (empty for the file)."""
    if kind == "file":
        return {}
    url = request.getfixturevalue("postgres_url")
    return {"url": url, "leaseSeconds": 30}


@pytest.fixture
def open_store(kind: str, tmp_path: Path, store_config: dict[str, object]) -> Iterator[OpenStore]:
    opened: list[StateStore] = []

    def make() -> StateStore:
        if kind == "file":
            store: StateStore = JsonStateStore(tmp_path / "state")
        else:
            from ops_schedule.store.postgres.store import PostgresStore

            store = PostgresStore(parse_store_url(store_config["url"]), lease_seconds=30)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def claimed(value: Claim | Busy) -> Claim:
    assert not isinstance(value, Busy), "the claim should have been taken"
    return value


# --------------------------------------------------------------------------- claims


def test_a_claimed_job_cannot_be_claimed_again_until_released(open_store: OpenStore):
    one, two = open_store(), open_store()
    with (
        one.claim(DAILY, NOW) as first,
        two.claim(DAILY, NOW) as second,
        two.claim(WEEKLY, NOW) as other,
    ):
        assert not isinstance(first, Busy)
        assert isinstance(second, Busy)
        assert not isinstance(other, Busy)
    with two.claim(DAILY, NOW) as again:
        assert not isinstance(again, Busy)


def test_a_busy_claim_names_the_process_that_holds_it(open_store: OpenStore):
    one, two = open_store(), open_store()
    pid, host = this_process()
    with one.claim(DAILY, NOW) as first:
        claimed(first).save(JobRecord(DAILY).started(Running("2026-11-26", NOW, pid, host)), NOW)
        with two.claim(DAILY, NOW) as second:
            assert isinstance(second, Busy)
            assert second.holder is not None
            assert (second.holder.pid, second.holder.host) == (pid, host)
            assert f"process {pid} on {host} since " in second.holder.describe()


def test_a_record_saved_under_a_claim_is_what_the_next_claim_reads(open_store: OpenStore):
    record = JobRecord(
        job_name=DAILY,
        last_run_at=NOW,
        last_status="ok",
        run_count=3,
        last_period="2026-11-26",
        done_periods=("2026-11-25", "2026-11-26"),
        last_summary="daily 2026-11-26: 48,213 events",
        last_duration_seconds=1.25,
        extra={"notes": {"migratedBy": "hand"}},
    )
    with open_store().claim(DAILY, NOW) as first:
        assert claimed(first).record == JobRecord(DAILY)
        claimed(first).save(record, NOW)

    with open_store().claim(DAILY, NOW) as second:
        assert claimed(second).record == record
    assert open_store().view(NOW).record(DAILY) == record


def test_renewing_a_held_claim_keeps_it(open_store: OpenStore):
    one, two = open_store(), open_store()
    with one.claim(DAILY, NOW) as first:
        claimed(first).renew()
        claimed(first).save(JobRecord(DAILY, run_count=1), NOW)
        with two.claim(DAILY, NOW) as second:
            assert isinstance(second, Busy)
    assert two.view(NOW).record(DAILY).run_count == 1


def test_fencing_tokens_never_go_down(open_store: OpenStore):
    tokens = []
    for _ in range(3):
        with open_store().claim(DAILY, NOW) as claim:
            tokens.append(claimed(claim).token)
    assert tokens == sorted(tokens)


# --------------------------------------------------------------------------- the view


def test_an_empty_store_has_no_records_and_no_holders(open_store: OpenStore, kind: str):
    view = open_store().view(NOW)

    assert view.kind == kind
    assert dict(view.records) == {}
    assert dict(view.holders) == {}
    assert view.record(DAILY) == JobRecord(DAILY)


def test_the_view_shows_who_runs_a_job_while_it_runs_and_nobody_after(open_store: OpenStore):
    store = open_store()
    pid, host = this_process()
    with store.claim(DAILY, NOW) as claim:
        claimed(claim).save(JobRecord(DAILY).started(Running("2026-11-26", NOW, pid, host)), NOW)
        holder = open_store().view(NOW).holders[DAILY]
        assert (holder.host, holder.pid) == (host, pid)
        claimed(claim).save(JobRecord(DAILY, run_count=1), NOW)

    assert DAILY not in open_store().view(NOW).holders


def test_the_location_never_carries_a_password(open_store: OpenStore):
    store = open_store()

    assert ":" not in store.location.split("@")[0].split("//")[-1]
    assert store.view(NOW).location == store.location


def test_a_reachable_store_passes_the_check(open_store: OpenStore):
    open_store().check()  # raises when it cannot


# --------------------------------------------------------------------------- the runner


def runner_config(tmp_path: Path, store_config: dict[str, object]) -> Config:
    return parse_config({**raw_config(tmp_path), "store": store_config}, environ={})


def test_repeated_ticks_run_the_job_once_per_period(
    tmp_path: Path, open_store: OpenStore, store_config: dict[str, object]
):
    config = runner_config(tmp_path, store_config)
    log = tmp_path / "executions.log"
    outcomes = []
    for minutes in range(0, 3 * 24 * 60, 180):
        now = INSTANT + timedelta(minutes=minutes)
        runner = Runner(
            config,
            jobs=jobs_of(CountingJob(DAILY, log)),
            clock=lambda now=now: now,
            store=open_store(),
        )
        outcomes += runner.tick(now)

    assert [o.period_key for o in outcomes] == ["2026-11-26", "2026-11-27", "2026-11-28"]
    assert executions(log) == ["2026-11-26", "2026-11-27", "2026-11-28"]
    record = open_store().view(NOW).record(DAILY)
    assert record.run_count == 3
    assert record.running is None
    assert record.done_periods == ("2026-11-26", "2026-11-27", "2026-11-28")


def test_status_reads_the_store_the_runner_wrote(
    tmp_path: Path, open_store: OpenStore, store_config: dict[str, object]
):
    config = runner_config(tmp_path, store_config)
    log = tmp_path / "executions.log"
    Runner(
        config, jobs=jobs_of(CountingJob(DAILY, log)), clock=lambda: NOW, store=open_store()
    ).tick(NOW)

    [row, *_] = job_statuses(config, open_store().view(NOW), NOW)

    assert row.last_status == "ok"
    assert row.period_state.value == "done"
    assert (row.running, row.interrupted, row.holder) == (False, False, None)


def test_a_run_never_starts_while_another_process_holds_the_claim(
    tmp_path: Path, open_store: OpenStore, store_config: dict[str, object]
):
    config = runner_config(tmp_path, store_config)
    log = tmp_path / "executions.log"
    with open_store().claim(DAILY, NOW) as held:
        assert not isinstance(held, Busy)
        runner = Runner(
            config, jobs=jobs_of(CountingJob(DAILY, log)), clock=lambda: NOW, store=open_store()
        )
        [result] = runner.run_now(NOW, [DAILY])

    assert executions(log) == []
    assert result.held
    assert result.reason.startswith("another ops-schedule process")


def test_a_job_with_an_interrupted_attempt_is_recorded_as_failed_by_the_next_holder(
    tmp_path: Path, open_store: OpenStore, store_config: dict[str, object]
):
    config = runner_config(tmp_path, store_config)
    with open_store().claim(DAILY, NOW) as claim:
        claimed(claim).save(
            JobRecord(DAILY).started(Running("2026-11-26", NOW, 4242, "gone-host")), NOW
        )
    later = NOW + timedelta(minutes=1)
    log = tmp_path / "executions.log"

    [outcome] = Runner(
        config, jobs=jobs_of(CountingJob(DAILY, log)), clock=lambda: later, store=open_store()
    ).tick(later)

    assert outcome.status == "ok"
    record = open_store().view(later).record(DAILY)
    assert record.run_count == 2  # the lost attempt and the retry
    assert record.running is None
