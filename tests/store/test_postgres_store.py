"""What only the PostgreSQL store does: leases, fencing, its schema, its connection."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from runner_fakes import DAILY, INSTANT, CountingJob, executions, jobs_of, raw_config

from ops_schedule.cli.main import main
from ops_schedule.config import parse_config
from ops_schedule.errors import ClaimLostError, StateError, StoreUnavailableError
from ops_schedule.processes import this_process
from ops_schedule.scheduling.runner import NotRun, Runner
from ops_schedule.store.base import Busy, Claim
from ops_schedule.store.postgres.schema import SCHEMA_VERSION, ensure_schema
from ops_schedule.store.postgres.store import PostgresStore
from ops_schedule.store.records import JobRecord, Running
from ops_schedule.store.url import parse_store_url

NOW = INSTANT
SECRET = "pw-" + "y" * 12  # built here, never a literal credential


@pytest.fixture
def stores(postgres_url: str) -> Iterator[list[PostgresStore]]:
    opened: list[PostgresStore] = []
    yield opened
    for store in opened:
        store.close()


def open_store(stores: list[PostgresStore], url: str, lease: float = 30) -> PostgresStore:
    store = PostgresStore(parse_store_url(url), lease_seconds=lease)
    stores.append(store)
    return store


def claimed(value: Claim | Busy) -> Claim:
    assert not isinstance(value, Busy)
    return value


def sql(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(query)
        return cursor.fetchall() if cursor.description else []


def expire_leases(url: str) -> None:
    """What a holder paused past its lease looks like to everyone else."""
    sql(url, "UPDATE ops_schedule_claims SET expires_at = now() - interval '1 second'")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- leases and fencing


def test_a_lease_that_ran_out_is_taken_over_and_the_old_holder_can_neither_save_nor_renew(
    stores: list[PostgresStore], postgres_url: str
):
    old, new = open_store(stores, postgres_url), open_store(stores, postgres_url)
    with old.claim(DAILY, NOW) as first:
        claimed(first).save(JobRecord(DAILY, run_count=1), NOW)
        expire_leases(postgres_url)
        with new.claim(DAILY, NOW) as second:
            assert claimed(second).token == claimed(first).token + 1
            assert claimed(second).record.run_count == 1
            claimed(second).save(JobRecord(DAILY, run_count=2), NOW)

            with pytest.raises(ClaimLostError, match=r"lease ran out.*holds it now"):
                claimed(first).save(JobRecord(DAILY, run_count=99), NOW)
            with pytest.raises(ClaimLostError, match="neither posted nor recorded"):
                claimed(first).renew()

    assert new.view(NOW).record(DAILY).run_count == 2


def test_a_holder_whose_lease_ran_out_but_was_not_taken_over_keeps_its_claim(
    stores: list[PostgresStore], postgres_url: str
):
    store = open_store(stores, postgres_url)
    with store.claim(DAILY, NOW) as claim:
        expire_leases(postgres_url)
        claimed(claim).renew()
        claimed(claim).save(JobRecord(DAILY, run_count=1), NOW)
    assert store.view(NOW).record(DAILY).run_count == 1


def test_the_renewal_thread_keeps_a_short_lease_alive_for_as_long_as_the_run(
    stores: list[PostgresStore], postgres_url: str
):
    holder, other = open_store(stores, postgres_url, lease=1), open_store(stores, postgres_url)
    with holder.claim(DAILY, NOW) as claim:
        claimed(claim)
        time.sleep(2.5)  # two and a half leases
        with other.claim(DAILY, NOW) as second:
            assert isinstance(second, Busy)
            assert second.holder is not None
            assert second.holder.until is not None
            assert second.holder.until - second.holder.since > timedelta(seconds=2)
    with other.claim(DAILY, NOW) as after:
        claimed(after)  # released at the end of the block, not left to expire


def test_a_claim_that_is_released_is_free_at_once_and_shows_no_holder(
    stores: list[PostgresStore], postgres_url: str
):
    one, two = open_store(stores, postgres_url), open_store(stores, postgres_url)
    with one.claim(DAILY, NOW) as claim:
        claimed(claim)
    assert one.view(NOW).holders == {}
    with two.claim(DAILY, NOW) as claim:
        claimed(claim)


# --------------------------------------------------------------------------- schema


def test_the_schema_is_created_once_by_hosts_that_start_together(postgres_url: str):
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            with psycopg.connect(postgres_url, autocommit=True) as connection:
                barrier.wait(10)
                ensure_schema(connection)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sql(postgres_url, "SELECT version FROM ops_schedule_schema") == [(SCHEMA_VERSION,)]
    tables = sql(
        postgres_url,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() ORDER BY 1",
    )
    assert tables == [
        ("ops_schedule_claims",),
        ("ops_schedule_jobs",),
        ("ops_schedule_runs",),
        ("ops_schedule_schema",),
    ]


def test_a_schema_from_a_newer_version_is_refused_naming_both_versions(
    stores: list[PostgresStore], postgres_url: str
):
    open_store(stores, postgres_url).check()
    sql(postgres_url, f"INSERT INTO ops_schedule_schema (version) VALUES ({SCHEMA_VERSION + 1})")

    with pytest.raises(StateError, match=rf"version {SCHEMA_VERSION + 1}.*understands version"):
        open_store(stores, postgres_url).check()


# --------------------------------------------------------------------------- the connection


def test_an_unreachable_store_is_one_line_naming_the_url_without_its_password(
    stores: list[PostgresStore],
):
    url = f"postgresql://ops:{SECRET}@127.0.0.1:{free_port()}/ops"
    store = open_store(stores, url)

    with pytest.raises(StoreUnavailableError) as caught, store.claim(DAILY, NOW):
        pass

    message = str(caught.value)
    assert message == (
        f"cannot reach the state store at postgresql://ops@127.0.0.1:{url.split(':')[3]}: "
        "connection refused"
    )


def test_a_broken_connection_is_reopened_on_the_next_use(
    stores: list[PostgresStore], postgres_url: str
):
    store = open_store(stores, postgres_url)
    store.check()
    sql(
        postgres_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'ops-schedule' AND pid <> pg_backend_pid()",
    )

    with store.claim(DAILY, NOW) as claim:  # the database restarted under a kept connection
        claimed(claim).save(JobRecord(DAILY, run_count=1), NOW)
    assert store.view(NOW).record(DAILY).run_count == 1


def test_libpq_parameters_in_the_url_reach_the_server(
    stores: list[PostgresStore], postgres_url: str
):
    store = open_store(stores, f"{postgres_url}&application_name=ops-blue&sslmode=disable")
    store.check()

    names = sql(postgres_url, "SELECT application_name FROM pg_stat_activity")
    assert ("ops-blue",) in names


# --------------------------------------------------------------------------- runs


def test_run_with_an_unreachable_store_fails_with_one_line_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    port = free_port()
    monkeypatch.setenv("OPS_SCHEDULE_STORE_URL", f"postgresql://ops:{SECRET}@127.0.0.1:{port}/ops")
    Path("ops.json").write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")
    log = tmp_path / "executions.log"

    with pytest.raises(SystemExit) as exited:
        main(["--config", "ops.json", "run", "--now"], jobs=jobs_of(CountingJob(DAILY, log)))

    out, err = capsys.readouterr()
    assert exited.value.code == 1
    assert err == (
        f"Error: cannot reach the state store at postgresql://ops@127.0.0.1:{port}/ops: "
        "connection refused\n"
    )
    assert SECRET not in out + err
    assert executions(log) == []


def test_a_runner_on_the_store_records_and_a_second_tick_does_not_rerun(
    stores: list[PostgresStore], postgres_url: str, tmp_path: Path
):
    config = parse_config({**raw_config(tmp_path), "store": {"url": postgres_url}}, environ={})
    log = tmp_path / "executions.log"
    job = CountingJob(DAILY, log)

    store = open_store(stores, postgres_url)
    [outcome] = Runner(config, jobs=jobs_of(job), clock=lambda: NOW, store=store).tick(NOW)
    later = NOW + timedelta(minutes=5)
    assert Runner(config, jobs=jobs_of(job), clock=lambda: later, store=store).tick(later) == []

    assert outcome.status == "ok"
    assert executions(log) == ["2026-11-26"]
    assert open_store(stores, postgres_url).view(later).record(DAILY).done_periods == (
        "2026-11-26",
    )


def test_every_recorded_attempt_is_in_the_run_history_once_with_its_holder(
    stores: list[PostgresStore], postgres_url: str, tmp_path: Path
):
    config = parse_config({**raw_config(tmp_path), "store": {"url": postgres_url}}, environ={})
    store = open_store(stores, postgres_url)
    log = tmp_path / "executions.log"
    with store.claim(DAILY, NOW) as claim:  # an attempt whose process died mid-run
        claimed(claim).save(JobRecord(DAILY).started(Running("2026-11-26", NOW, 4242, "gone")), NOW)
    later = NOW + timedelta(minutes=1)

    Runner(config, jobs=jobs_of(CountingJob(DAILY, log)), clock=lambda: later, store=store).tick(
        later
    )

    rows = sql(postgres_url, "SELECT job, period, status, pid FROM ops_schedule_runs ORDER BY id")
    pid = this_process()[0]
    assert rows == [(DAILY, "2026-11-26", "fail", pid), (DAILY, "2026-11-26", "ok", pid)]


def test_a_claim_whose_record_cannot_be_read_is_released_not_left_to_its_lease(
    stores: list[PostgresStore], postgres_url: str, monkeypatch: pytest.MonkeyPatch
):
    store, other = open_store(stores, postgres_url), open_store(stores, postgres_url)
    store.check()
    calls = 0
    run = store.db.run

    def failing_second(work):  # the acquisition goes through, reading the record does not
        nonlocal calls
        calls += 1
        if calls == 2:
            raise StoreUnavailableError("cannot reach the state store at test: connection lost")
        return run(work)

    monkeypatch.setattr(store.db, "run", failing_second)
    with pytest.raises(StoreUnavailableError), store.claim(DAILY, NOW):
        pass

    with other.claim(DAILY, NOW) as claim:
        claimed(claim)


def test_a_host_whose_clock_is_hours_ahead_cannot_take_a_held_claim(
    stores: list[PostgresStore], postgres_url: str
):
    holder, skewed = open_store(stores, postgres_url, lease=2), open_store(stores, postgres_url)
    with holder.claim(DAILY, NOW) as claim:
        claimed(claim)
        with skewed.claim(DAILY, NOW + timedelta(hours=5)) as second:
            assert isinstance(second, Busy)  # the lease is reckoned on the database's clock


def test_a_fresh_lease_is_not_called_stale_by_a_host_whose_clock_runs_hours_ahead(
    stores: list[PostgresStore], postgres_url: str, tmp_path: Path
):
    config = parse_config({**raw_config(tmp_path), "store": {"url": postgres_url}}, environ={})
    holder, skewed = open_store(stores, postgres_url), open_store(stores, postgres_url)
    pid, host = this_process()
    with holder.claim(DAILY, NOW) as claim:
        claimed(claim).save(JobRecord(DAILY).started(Running("2026-11-26", NOW, pid, host)), NOW)
        ahead = datetime.now(UTC) + timedelta(hours=5)
        runner = Runner(config, jobs=jobs_of(CountingJob(DAILY, tmp_path / "log")), store=skewed)
        [result] = runner.run_now(ahead, [DAILY])

    assert isinstance(result, NotRun)
    assert result.held
    assert not result.stale
    assert result.reason.startswith(f"another ops-schedule process is running it: process {pid}")
