from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops_schedule.cli.main import main
from ops_schedule.service.heartbeat import Heartbeat, judge, write_heartbeat

STATE = Path("state")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "ops-schedule.json"
    path.write_text(json.dumps({"stateDir": "state"}), encoding="utf-8")
    return path


def beat(
    *,
    last_tick_ago: float | None,
    interval: float = 60,
    tick_started_ago: float | None = None,
    pid: int | None = None,
    stopped_ago: float | None = None,
    last_error: str | None = None,
) -> None:
    now = datetime.now(UTC)

    def ago(seconds: float | None) -> datetime | None:
        return None if seconds is None else now - timedelta(seconds=seconds)

    write_heartbeat(
        STATE,
        Heartbeat(
            interval=interval,
            pid=os.getpid() if pid is None else pid,
            version="0.1.0",
            host=socket.gethostname(),
            last_tick_at=ago(last_tick_ago),
            tick_started_at=ago(tick_started_ago),
            stopped_at=ago(stopped_ago),
            last_error=last_error,
        ),
    )


def health(config_file: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config_file), "health", *args])
    captured = capsys.readouterr()
    code = exit_info.value.code
    assert isinstance(code, int)
    return code, captured.out + captured.err


def test_a_fresh_heartbeat_is_healthy(config_file, capsys):
    beat(last_tick_ago=5)
    assert health(config_file, capsys) == (0, "ok: last tick 5 s ago (limit 180 s)\n")


def test_a_heartbeat_older_than_three_intervals_is_unhealthy_and_says_its_age(config_file, capsys):
    beat(last_tick_ago=400)
    assert health(config_file, capsys) == (
        1,
        "unhealthy: stale heartbeat: last tick 400 s ago (limit 180 s)\n",
    )


def test_the_limit_follows_the_interval_the_loop_runs_with(config_file, capsys):
    beat(last_tick_ago=400, interval=150)
    assert health(config_file, capsys) == (0, "ok: last tick 400 s ago (limit 450 s)\n")


def test_max_age_overrides_the_limit(config_file, capsys):
    beat(last_tick_ago=100)
    assert health(config_file, capsys, "--max-age", "30") == (
        1,
        "unhealthy: stale heartbeat: last tick 100 s ago (limit 30 s)\n",
    )


def test_a_missing_heartbeat_is_unhealthy(config_file, capsys):
    assert health(config_file, capsys) == (
        1,
        "unhealthy: no heartbeat at state/heartbeat.json: is `ops-schedule loop` running?\n",
    )


def test_an_invalid_config_is_exit_2_with_the_problem_on_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stateDir": "state", "enabeld": True}), encoding="utf-8")
    beat(last_tick_ago=5)
    code, output = health(bad, capsys)
    assert code == 2
    assert output.startswith(f"unhealthy: invalid configuration in {bad}: enabeld: unknown key;")
    assert "did you mean" in output
    assert output.count("\n") == 1


def test_an_unreadable_heartbeat_is_unhealthy(config_file, capsys):
    STATE.mkdir()
    (STATE / "heartbeat.json").write_text("{not json", encoding="utf-8")
    code, output = health(config_file, capsys)
    assert code == 1
    assert output.startswith("unhealthy: heartbeat state/heartbeat.json is unreadable: ")


def test_a_loop_that_stopped_is_unhealthy_at_once(config_file, capsys):
    beat(last_tick_ago=3, stopped_ago=2)
    code, output = health(config_file, capsys)
    assert code == 1
    assert output.startswith("unhealthy: the loop stopped 2 s ago (at ")


def test_a_long_tick_in_flight_stays_healthy_until_the_tick_limit(config_file, capsys):
    beat(last_tick_ago=700, tick_started_ago=640)
    assert health(config_file, capsys) == (
        0,
        "ok: a tick has been running for 640 s (limit 3600 s)\n",
    )
    assert health(config_file, capsys, "--max-tick", "600") == (
        1,
        "unhealthy: stuck tick: a tick has been running for 640 s (limit 600 s)\n",
    )


def test_a_tick_in_flight_of_a_dead_process_does_not_count(config_file, capsys):
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = int(finished.stdout)
    beat(last_tick_ago=700, tick_started_ago=640, pid=dead)
    assert health(config_file, capsys) == (
        1,
        "unhealthy: stale heartbeat: last tick 700 s ago (limit 180 s)\n",
    )


def test_a_stale_heartbeat_says_why_the_last_tick_failed(config_file, capsys):
    beat(last_tick_ago=400, last_error="StateError: disk full")
    assert health(config_file, capsys) == (
        1,
        (
            "unhealthy: stale heartbeat: last tick 400 s ago (limit 180 s); "
            "last tick failed: StateError: disk full\n"
        ),
    )


def test_judging_uses_the_instant_it_is_given():
    now = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    heartbeat = Heartbeat(interval=60, pid=1, version="x", host="elsewhere", last_tick_at=now)
    assert judge(heartbeat, now + timedelta(seconds=180)).healthy
    assert not judge(heartbeat, now + timedelta(seconds=181)).healthy


def test_a_heartbeat_survives_a_round_trip_through_json():
    now = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    heartbeat = Heartbeat(
        interval=60,
        pid=7,
        version="0.1.0",
        host="h",
        last_tick_at=now,
        tick_started_at=now,
        stopped_at=now,
        last_error="e",
        ticks=3,
    )
    assert Heartbeat.from_json(json.loads(json.dumps(heartbeat.to_json()))) == heartbeat


@pytest.mark.parametrize("field", ["last_tick_at", "tick_started_at"])
def test_a_heartbeat_from_the_future_is_not_fresh(field):
    now = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    stamps = {field: now + timedelta(hours=2)}
    heartbeat = Heartbeat(interval=60, pid=os.getpid(), version="0.1.0", host=socket.gethostname())

    verdict = judge(replace(heartbeat, **stamps), now)

    assert verdict.healthy is False
    assert verdict.reason == (
        "heartbeat from the future: written at 2026-11-26T02:00:00Z, 7200 s ahead of this host's "
        "clock (a clock stepped back, or a file from another host); stale until the loop writes "
        "a new one"
    )


def test_a_heartbeat_a_few_seconds_ahead_is_fresh():
    now = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    heartbeat = Heartbeat(
        interval=60,
        pid=os.getpid(),
        version="0.1.0",
        host=socket.gethostname(),
        last_tick_at=now + timedelta(seconds=3),
    )
    assert judge(heartbeat, now).healthy is True
