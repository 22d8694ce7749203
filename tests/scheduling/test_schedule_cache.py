"""The schedule a quiet ``run`` reads without the validator: the same as the validated config's,
kept between runs under a key that a changed file, variable or program does not match, and
harmless when damaged (docs/performance.md, "Redaction and start-up")."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from repo import ROOT

from ops_schedule.config import JOB_NAMES, parse_config
from ops_schedule.configfile import ENV_OVERRIDES, Weekday
from ops_schedule.scheduling import viewcache
from ops_schedule.scheduling.history import decision_for
from ops_schedule.scheduling.view import Schedule, schedule_of
from ops_schedule.scheduling.viewcache import (
    CACHE_FILE,
    cached_schedule,
    read_config_file,
    remember_schedule,
)
from ops_schedule.store.file import JobRecord

DOC = (ROOT / "docs/configuration.md").read_text("utf-8")
EXAMPLES = [
    json.loads(block)
    for block in re.findall(r"```json\n(.*?)```", DOC[: DOC.index("## Errors")], flags=re.DOTALL)
]
ENVIRONMENTS = [
    {},
    {"OPS_SCHEDULE_ENABLED": "true"},
    {"OPS_SCHEDULE_TIMEZONE": "America/New_York", "GITHUB_REPOSITORY": "ops/proxy"},
]

durations = st.sampled_from(["30m", "1h", "2h30m", "5h59m", "20h", "1d", "47h", "3d", "6d23h"])
jobs = st.fixed_dictionaries(
    {},
    optional={
        "enabled": st.booleans(),
        "cadence": st.sampled_from(["daily", "weekly"]),
        "at": st.sampled_from(["00:00", "02:30", "09:00", "23:59", "01:30"]),
        "postToIssue": st.booleans(),
        "catchUpGrace": st.sampled_from(["1h", "3h", "5h"]),
    },
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "enabled": st.booleans(),
        "timezone": st.sampled_from(["Asia/Tokyo", "UTC", "America/New_York", "Europe/London"]),
        "stateDir": st.sampled_from(["state", "/var/lib/ops/state", "logs/schedule-state"]),
        "jobs": st.fixed_dictionaries({}, optional=dict.fromkeys(JOB_NAMES, jobs)),
        "catchUpGrace": st.one_of(
            st.sampled_from(["1h", "5h"]),
            st.fixed_dictionaries({}, optional={"daily": durations, "weekly": durations}),
        ),
        "redaction": st.fixed_dictionaries(
            {},
            optional={
                "patterns": st.lists(st.sampled_from(["CUST-[0-9]{6}", "社員番号[0-9]+"])),
                "placeholder": st.sampled_from(["[REDACTED]", "***", "＊＊伏字＊＊"]),
            },
        ),
    },
)


def _valid(raw: dict[str, object], environ: dict[str, str]):
    try:
        return parse_config(raw, environ)
    except Exception:  # noqa: BLE001 - hypothesis draws some invalid combinations
        return None


def _round_trip(schedule: Schedule) -> Schedule:
    return Schedule.from_json(json.loads(json.dumps(schedule.to_json())))


@pytest.mark.parametrize("environ", ENVIRONMENTS)
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_documented_example_keeps_its_schedule_exactly(example, environ):
    config = parse_config(example, environ)
    assert _round_trip(schedule_of(config)) == schedule_of(config)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    documents,
    st.sampled_from(ENVIRONMENTS),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    st.tuples(st.sampled_from(["ok", "fail", "skipped", None]), st.integers(0, 5)),
    st.integers(0, 30),
)
def test_the_kept_schedule_decides_exactly_as_the_validated_config(
    raw, environ, moment, last, days_ago
):
    status, failures = last
    config = _valid(raw, environ)
    if config is None:
        return
    schedule = _round_trip(schedule_of(config))
    assert schedule == schedule_of(config)
    now = moment.replace(tzinfo=UTC)
    last = now - timedelta(days=days_ago, minutes=7)
    for name in JOB_NAMES:
        period = now.date().isoformat() if days_ago % 2 else None
        record = JobRecord(
            job_name=name,
            last_status=status,
            last_run_at=last if status else None,
            last_period=period if status else None,
            consecutive_failures=failures if status == "fail" else 0,
            done_periods=(period,) if status == "ok" and period else (),
        )
        assert decision_for(schedule, name, record, now) == decision_for(config, name, record, now)


def test_a_schedule_from_anything_else_is_refused():
    good = schedule_of(parse_config({}, {})).to_json()
    broken = [
        None,
        [],
        {**good, "jobs": [{**good["jobs"][0], "cadence": "hourly"}]},
        {**good, "jobs": [{**good["jobs"][0], "active": 1}]},
        {**good, "jobs": [{**good["jobs"][0], "grace": [0, "60", 0]}]},
        {**good, "jobs": [{**good["jobs"][0], "dow": "Monday"}]},
        {**good, "redaction": {"patterns": "CUST", "placeholder": "x"}},
        {key: value for key, value in good.items() if key != "stateDir"},
    ]
    for raw in broken:
        with pytest.raises(ValueError, match="not a schedule"):
            Schedule.from_json(raw)


# ------------------------------------------------------------------ the cache


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A valid config file whose state directory exists, validated once and remembered."""
    for name in ENV_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    state = tmp_path / "state"
    state.mkdir()
    path = tmp_path / "ops-schedule.json"
    raw = {"enabled": True, "stateDir": str(state), "jobs": {JOB_NAMES[0]: {"enabled": True}}}
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path, state


def _validate_and_remember(path: Path, environ: dict[str, str]) -> Schedule:
    before = read_config_file(path)
    assert before is not None
    config = parse_config(json.loads(path.read_text("utf-8")), environ)
    remember_schedule(before, environ, schedule_of(config))
    return schedule_of(config)


def test_a_remembered_schedule_is_found_for_the_same_file_and_environment(setup):
    path, state = setup
    schedule = _validate_and_remember(path, {})
    assert (state / CACHE_FILE).is_file()
    assert cached_schedule(path, {}) == schedule
    assert cached_schedule(None, {"OPS_SCHEDULE_CONFIG": str(path)}) == schedule


def test_a_changed_byte_a_changed_variable_or_a_changed_program_is_validated_again(setup):
    path, _ = setup
    _validate_and_remember(path, {})
    for name in ENV_OVERRIDES:
        assert cached_schedule(path, {name: "x"}) is None
    with mock.patch.object(viewcache, "_program", return_value=b"another program"):
        assert cached_schedule(path, {}) is None
    path.write_text(path.read_text("utf-8") + " ", encoding="utf-8")
    assert cached_schedule(path, {}) is None


def test_the_cache_never_hides_a_configuration_error(setup):
    path, _ = setup
    _validate_and_remember(path, {})
    raw = json.loads(path.read_text("utf-8"))
    raw["timezone"] = "Mars/Olympus"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert cached_schedule(path, {}) is None


def test_nothing_is_kept_when_the_file_changed_while_it_was_validated(setup):
    path, state = setup
    before = read_config_file(path)
    assert before is not None
    config = parse_config(json.loads(path.read_text("utf-8")), {})
    path.write_text(path.read_text("utf-8").replace("true", "false", 1), encoding="utf-8")
    remember_schedule(before, {}, schedule_of(config))
    assert not (state / CACHE_FILE).exists()


def test_a_cache_never_creates_the_state_directory(tmp_path: Path):
    path = tmp_path / "ops-schedule.json"
    path.write_text(json.dumps({"stateDir": str(tmp_path / "nowhere")}), encoding="utf-8")
    _validate_and_remember(path, {})
    assert not (tmp_path / "nowhere").exists()


def test_the_cache_is_written_atomically_and_stale_temp_files_go(setup):
    path, state = setup
    stale = state / f".{CACHE_FILE}.abc123.tmp"
    stale.write_text("half", encoding="utf-8")
    old = datetime.now(UTC).timestamp() - 3600
    os.utime(stale, (old, old))
    with mock.patch.object(viewcache, "atomic_write_text", wraps=viewcache.atomic_write_text) as w:
        _validate_and_remember(path, {})
    w.assert_called_once()
    assert not stale.exists()
    assert [p.name for p in state.iterdir()] == [CACHE_FILE]


def test_the_same_schedule_is_not_written_again(setup):
    path, _ = setup
    _validate_and_remember(path, {})
    with mock.patch.object(viewcache, "atomic_write_text") as write:
        _validate_and_remember(path, {})
    write.assert_not_called()


@pytest.mark.parametrize("kind", ["fifo", "directory", "huge", "missing"])
def test_only_a_regular_file_of_reasonable_size_is_read(tmp_path: Path, kind):
    path = tmp_path / "ops-schedule.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "huge":
        path.write_bytes(b" " * (2 << 20) + b"{}")
    assert read_config_file(path) is None
    assert cached_schedule(path, {}) is None


def test_a_deleted_cache_is_simply_validated_again(setup):
    path, state = setup
    _validate_and_remember(path, {})
    (state / CACHE_FILE).unlink()
    assert cached_schedule(path, {}) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_cache_is_ignored_never_misread(data):
    with_cache = data.draw(st.sampled_from(["flip", "cut", "json", "bytes"]))
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"ops-cache-fuzz-{os.getpid()}"
    state = root / "state"
    state.mkdir(parents=True, exist_ok=True)
    path = root / "ops-schedule.json"
    raw = {"enabled": True, "stateDir": str(state), "jobs": {JOB_NAMES[1]: {"enabled": True}}}
    path.write_text(json.dumps(raw), encoding="utf-8")
    (state / CACHE_FILE).unlink(missing_ok=True)
    schedule = _validate_and_remember(path, {})
    kept = (state / CACHE_FILE).read_bytes()
    if with_cache == "flip":
        at = data.draw(st.integers(0, len(kept) - 1))
        damaged = kept[:at] + bytes([kept[at] ^ data.draw(st.integers(1, 255))]) + kept[at + 1 :]
    elif with_cache == "cut":
        damaged = kept[: data.draw(st.integers(0, len(kept) - 1))]
    elif with_cache == "json":
        damaged = json.dumps(data.draw(st.recursive(st.none() | st.text(), st.lists))).encode()
    else:
        damaged = data.draw(st.binary(max_size=300))
    (state / CACHE_FILE).write_bytes(damaged)
    found = cached_schedule(path, {})
    # Harmless: either nothing (validate again), or exactly what was kept (a flip in the
    # indentation changes no value).
    assert found is None or found == schedule


def test_a_weekday_survives_the_round_trip_for_every_day():
    for day in Weekday:
        raw = {"jobs": {JOB_NAMES[1]: {"dow": day.value}}}
        config = parse_config(raw, {})
        assert _round_trip(schedule_of(config)).jobs.get(JOB_NAMES[1]).weekday is day


# Every field of the file either reaches the schedule or plays no part in a tick that runs
# nothing. A new field must be placed here: one that a quiet run needs (a store elsewhere than
# stateDir, a ping on every run) must reach the schedule, or turn the quiet run off.
IN_THE_SCHEDULE = {"enabled", "timezone", "stateDir", "jobs", "catchUpGrace", "redaction"}
NOT_IN_A_QUIET_RUN = {
    "$schema",
    "dashboardIssue",
    "sources",
    "outputDir",
    "locale",
    "github",
    "thresholds",
    "trend",
    "slack",  # sinks and pings act only when a job runs
    "webhook",
    "pings",
}
JOB_IN_THE_SCHEDULE = {"enabled", "cadence", "at", "dow", "catchUpGrace"}
JOB_NOT_IN_A_QUIET_RUN = {"postToIssue"}


def _names(model: type) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


# With a store elsewhere than stateDir (PostgreSQL), or with metrics to write or push, there is
# no schedule: every run is full.
DECIDES_WHETHER_A_RUN_MAY_BE_QUIET = {"store", "metrics"}


def test_every_field_of_the_file_is_either_in_the_schedule_or_no_part_of_a_quiet_run():
    from ops_schedule.config import Config, JobConfig

    placed = IN_THE_SCHEDULE | NOT_IN_A_QUIET_RUN | DECIDES_WHETHER_A_RUN_MAY_BE_QUIET
    assert _names(Config) == placed
    assert _names(JobConfig) == JOB_IN_THE_SCHEDULE | JOB_NOT_IN_A_QUIET_RUN


@pytest.mark.parametrize(
    "metrics", [{"textfile": "ops.prom"}, {"pushgateway": {"url": "http://127.0.0.1:9/gw"}}]
)
def test_a_configuration_with_metrics_has_no_schedule_to_keep(metrics):
    assert schedule_of(parse_config({"metrics": metrics}, {})) is None


def test_a_configuration_with_a_shared_store_has_no_schedule_to_keep():
    raw = {"store": {"url": "postgresql://ops@db:5432/ops"}}
    assert schedule_of(parse_config(raw, {})) is None
    assert schedule_of(parse_config({}, {"OPS_SCHEDULE_STORE_URL": raw["store"]["url"]})) is None
