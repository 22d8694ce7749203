"""A heartbeat file with hostile content, or no file at all at its path: `health` answers
"unhealthy" in one line (exit 1), never with a traceback or a hang."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops_schedule.cli.main import main
from ops_schedule.service.heartbeat import HEARTBEAT_FILE_LIMIT, Heartbeat, read_heartbeat

STATE = Path("state")
PATH = STATE / "heartbeat.json"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "ops-schedule.json"
    path.write_text(json.dumps({"stateDir": "state"}), encoding="utf-8")
    return path


def good() -> dict[str, object]:
    recent = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    return {
        "interval": 60,
        "pid": os.getpid(),
        "version": "0.1.0",
        "host": socket.gethostname(),
        "lastTickAt": recent,
        "tickStartedAt": None,
        "stoppedAt": None,
        "lastError": None,
        "ticks": 3,
    }


def write(text: str | bytes) -> None:
    STATE.mkdir(exist_ok=True)
    PATH.write_bytes(text.encode() if isinstance(text, str) else text)


def health(config_file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config_file), "health"])
    captured = capsys.readouterr()
    code = exit_info.value.code
    assert isinstance(code, int)
    return code, captured.out + captured.err


HOSTILE_FIELDS = {
    "interval 1e308": ("interval", 1e308),
    "interval NaN": ("interval", float("nan")),
    "interval Infinity": ("interval", float("inf")),
    "interval zero": ("interval", 0),
    "interval negative": ("interval", -60),
    "interval a string": ("interval", "60"),
    "interval true": ("interval", True),
    "interval past a double": ("interval", 10**400),
    "pid past pid_t": ("pid", 2**70),
    "pid 1e308": ("pid", 1e308),
    "pid negative": ("pid", -1),
    "pid a string": ("pid", "123"),
    "pid true": ("pid", True),
    "ticks NaN": ("ticks", float("nan")),
    "ticks a list": ("ticks", [1]),
    "lastError an object": ("lastError", {"m": 1}),
    "version a list": ("version", ["0.1.0"]),
    "host a number": ("host", 5),
    "stoppedAt past year 9999 in UTC": ("stoppedAt", "9999-12-31T23:59:59-01:00"),
    "lastTickAt before year 1 in UTC": ("lastTickAt", "0001-01-01T00:00:00+01:00"),
    "lastTickAt a number": ("lastTickAt", 1764028800),
    "tickStartedAt an object": ("tickStartedAt", {"at": "now"}),
}


@pytest.mark.parametrize(("name", "value"), HOSTILE_FIELDS.values(), ids=HOSTILE_FIELDS.keys())
def test_a_heartbeat_with_a_hostile_field_is_unreadable(config_file, capsys, name, value):
    document = good()
    document[name] = value
    write(json.dumps(document))
    code, out = health(config_file, capsys)
    assert code == 1
    assert out.startswith(f"unhealthy: heartbeat {PATH} is unreadable: not a heartbeat file: ")
    assert name in out
    assert out.count("\n") == 1


HOSTILE_FILES = {
    "nested past the recursion limit": "[" * 100_000 + "]" * 100_000,
    "an integer past 4300 digits": '{"interval": ' + "1" * 5000 + "}",
    "not UTF-8": b'{"interval": 60, "version": "\xff"}',
    "larger than the cap": json.dumps(good()) + " " * HEARTBEAT_FILE_LIMIT,
}


@pytest.mark.parametrize("text", HOSTILE_FILES.values(), ids=HOSTILE_FILES.keys())
def test_a_hostile_heartbeat_file_is_unreadable(config_file, capsys, text):
    write(text)
    code, out = health(config_file, capsys)
    assert code == 1
    assert out.startswith(f"unhealthy: heartbeat {PATH} is unreadable: ")
    assert out.count("\n") == 1


def test_the_good_heartbeat_of_these_tests_is_healthy(config_file, capsys):
    document = good()
    write(json.dumps(document))
    assert health(config_file, capsys) == (0, "ok: last tick 5 s ago (limit 180 s)\n")
    assert read_heartbeat(STATE) == Heartbeat.from_json(document)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "directory", "zero"])
def test_health_over_a_fifo_a_directory_or_dev_zero_is_unhealthy_at_once(config_file, kind):
    STATE.mkdir()
    if kind == "fifo":
        os.mkfifo(PATH)
    elif kind == "directory":
        PATH.mkdir()
    else:
        PATH.symlink_to("/dev/zero")
    result = subprocess.run(
        [sys.executable, "-m", "ops_schedule", "--config", str(config_file), "health"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"unhealthy: heartbeat {PATH} is unreadable: cannot read it: ")
    assert "not a regular file" in result.stderr
