"""The commands with a PostgreSQL store: status, health and ``store import``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runner_fakes import DAILY, WEEKLY, raw_config

from ops_schedule.cli.main import main
from ops_schedule.processes import this_process
from ops_schedule.service.heartbeat import Heartbeat, write_heartbeat
from ops_schedule.store.base import Busy
from ops_schedule.store.file import JsonStateStore
from ops_schedule.store.postgres.store import PostgresStore
from ops_schedule.store.records import JobRecord, Running
from ops_schedule.store.url import parse_store_url

SECRET = "pw-" + "z" * 12  # built here, never a literal credential
NOW = datetime.now(UTC)
# The daily job's latest scheduled instant: two minutes ago, in UTC.
SCHEDULED = NOW - timedelta(minutes=2)
PERIOD = SCHEDULED.date().isoformat()


def due_config(tmp_path: Path) -> dict[str, object]:
    """The daily job, due now unless its period is done."""
    config = raw_config(tmp_path, **{DAILY: {"enabled": True, "at": f"{SCHEDULED:%H:%M}"}})
    return {**config, "timezone": "UTC", "store": {"leaseSeconds": 30}}


def with_password(url: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@", 1)


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["--config", "ops.json", *args])
    out, err = capsys.readouterr()
    code = exited.value.code
    assert isinstance(code, int)
    return code, out, err


@pytest.fixture
def configured(tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A config on the test's schema, the URL (with a password trust auth ignores) in the
    environment."""
    Path("ops.json").write_text(json.dumps(due_config(tmp_path)), encoding="utf-8")
    monkeypatch.setenv("OPS_SCHEDULE_STORE_URL", with_password(postgres_url))
    return postgres_url


def open_store(url: str) -> PostgresStore:
    return PostgresStore(parse_store_url(url), lease_seconds=30)


def test_status_names_the_store_without_its_password_and_who_runs_a_job(
    configured: str, capsys: pytest.CaptureFixture[str]
):
    pid, host = this_process()
    holder = open_store(configured)
    try:
        with holder.claim(DAILY, NOW) as claim:
            assert not isinstance(claim, Busy)
            claim.save(JobRecord(DAILY).started(Running("2026-11-26", NOW, pid, host)), NOW)
            code, out, err = invoke(capsys, "status")
            _, as_json, _ = invoke(capsys, "status", "--json")
    finally:
        holder.close()

    assert code == 0, err
    assert SECRET not in out + err + as_json
    assert f"state {configured} (PostgreSQL, lease 30 s)" in out
    assert f"{DAILY} running: process {pid} on {host} since " in out
    assert ", lease until " in out
    document = json.loads(as_json)
    assert document["store"] == {"kind": "postgresql", "location": configured, "leaseSeconds": 30}
    assert document["stateFile"] is None
    [daily] = [row for row in document["jobs"] if row["job"] == DAILY]
    assert daily["running"] is True
    assert daily["heldBy"]["pid"] == pid
    assert daily["heldBy"]["until"].endswith("Z")


def test_health_is_unhealthy_when_the_loop_ticks_but_the_store_does_not_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    Path("ops.json").write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")
    write_heartbeat(tmp_path / "state", Heartbeat.starting(60, "0.1.0").tick_completed(NOW))
    assert invoke(capsys, "health")[0] == 0  # the file store answers

    monkeypatch.setenv("OPS_SCHEDULE_STORE_URL", f"postgresql://ops:{SECRET}@127.0.0.1:1/ops")
    code, out, err = invoke(capsys, "health")

    assert code == 1
    assert out == ""
    assert err == (
        "unhealthy: cannot reach the state store at postgresql://ops@127.0.0.1:1/ops: "
        "connection refused\n"
    )


def test_health_checks_that_a_reachable_store_answers(
    configured: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    write_heartbeat(tmp_path / "state", Heartbeat.starting(60, "0.1.0").tick_completed(NOW))

    code, out, _ = invoke(capsys, "health")

    assert code == 0
    assert out.startswith("ok: last tick ")


# --------------------------------------------------------------------------- store import


def write_state_file(tmp_path: Path) -> dict[str, JobRecord]:
    today = PERIOD
    records = {
        DAILY: JobRecord(
            DAILY,
            last_run_at=NOW - timedelta(minutes=5),
            last_status="ok",
            run_count=12,
            last_period=today,
            done_periods=("2026-11-25", today),
            extra={"notes": "kept"},
        ),
        WEEKLY: JobRecord(WEEKLY, last_status="fail", run_count=1, consecutive_failures=1),
    }
    with JsonStateStore(tmp_path / "state").transaction(NOW) as txn:
        for record in records.values():
            txn.put(record)
    return records


def test_without_the_import_the_due_job_would_run(
    configured: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = invoke(capsys, "run")

    assert code == 0
    assert out.startswith(f"{DAILY} {PERIOD}: OK")


def test_import_copies_every_record_so_the_current_period_does_not_run_again(
    configured: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    records = write_state_file(tmp_path)
    before = (tmp_path / "state" / "schedule-state.json").read_bytes()

    code, out, err = invoke(capsys, "store", "import")
    run_code, run_out, _ = invoke(capsys, "run")

    assert code == 0, err
    assert out.splitlines()[0] == (
        f"imported 2 job records from {tmp_path / 'state' / 'schedule-state.json'} "
        f"into {configured}"
    )
    assert f"  {DAILY}: 12 runs, last done period {PERIOD}" in out
    assert SECRET not in out + err
    store = open_store(configured)
    try:
        assert dict(store.view(NOW).records) == records
    finally:
        store.close()
    assert (tmp_path / "state" / "schedule-state.json").read_bytes() == before
    assert (run_code, run_out) == (0, "nothing due\n")  # the imported period stays done


def test_import_refuses_to_overwrite_a_record_the_store_holds_unless_asked(
    configured: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    write_state_file(tmp_path)
    assert invoke(capsys, "store", "import")[0] == 0

    code, _, err = invoke(capsys, "store", "import")
    replaced, _, _ = invoke(capsys, "store", "import", "--replace")

    assert code == 1
    assert err == (
        f"Error: the store {configured} already holds a record of {DAILY} (12 runs); "
        "use --replace to overwrite it\n"
    )
    assert replaced == 0


def test_import_refuses_while_a_file_store_run_holds_a_claim(
    configured: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    write_state_file(tmp_path)
    with JsonStateStore(tmp_path / "state").claim(DAILY, NOW) as held:
        assert not isinstance(held, Busy)
        code, _, err = invoke(capsys, "store", "import")

    assert code == 1
    assert err.startswith(f"Error: a run of {DAILY} holds its claim in ")
    store = open_store(configured)
    try:
        assert dict(store.view(NOW).records) == {}  # all or nothing
    finally:
        store.close()


def test_import_without_a_store_url_says_how_to_set_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    Path("ops.json").write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")

    code, _, err = invoke(capsys, "store", "import")

    assert code == 1
    assert err == (
        "Error: no store to import into: set store.url or OPS_SCHEDULE_STORE_URL to a "
        "postgresql:// URL\n"
    )


def test_validate_checks_the_form_of_the_store_url_without_showing_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    Path("ops.json").write_text(json.dumps(raw_config(tmp_path)), encoding="utf-8")
    monkeypatch.setenv("OPS_SCHEDULE_STORE_URL", f"postgresql://ops:{SECRET}@db/ops?sslmod=x")

    code, out, err = invoke(capsys, "validate")

    assert code == 2
    assert out == ""
    assert err == (
        "Error: 1 configuration problem in ops.json:\n"
        '  - store.url (from OPS_SCHEDULE_STORE_URL): "postgresql://ops@db/ops?sslmod=x" is not '
        "a PostgreSQL URL such as postgresql://user@host:5432/db (invalid URI query parameter: "
        '"sslmod")\n'
    )
