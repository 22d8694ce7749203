"""Hostile config files and values: every one is a ConfigError (exit 2, one line), never a hang,
a traceback or an exhausted memory; a running loop keeps its last good config meanwhile."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ops_schedule.config import CONFIG_FILE_LIMIT, Config, load_config
from ops_schedule.errors import ConfigError
from ops_schedule.service.loop import Runtime, run_loop

DEEP = "[" * 100_000 + "]" * 100_000

# (name, file text, a fragment of the one problem reported)
BAD_FILES = [
    ("zone name past 255 bytes", json.dumps({"timezone": "A" * 300}), "timezone: "),
    ("zone name with a NUL", json.dumps({"timezone": "Asia/\u0000Tokyo"}), "timezone: "),
    ("zone name of a megabyte", json.dumps({"timezone": "x" * 500_000}), "timezone: "),
    ("zone name a parent path", json.dumps({"timezone": "../../../etc/passwd"}), "timezone: "),
    ("JSON nested past the recursion limit", DEEP, "nested"),
    ("a value nested deeply", '{"redaction": ' + "[" * 900 + "]" * 900 + "}", "nested"),
    ("a string holding deep JSON", json.dumps({"enabled": DEEP}), "enabled: "),
    ("an integer past 4300 digits", '{"dashboardIssue": ' + "9" * 5000 + "}", "digits"),
    ("stateDir with a NUL", json.dumps({"stateDir": "logs/\u0000state"}), "stateDir: "),
    ("outputDir with a NUL", json.dumps({"outputDir": "a\u0000"}), "outputDir: "),
    ("stateDir with a lone surrogate", '{"stateDir": "logs/\\ud800"}', "stateDir: "),
    ("outputDir with a lone surrogate", '{"outputDir": "\\udcff"}', "outputDir: "),
    ("sources.events with a NUL", json.dumps({"sources": {"events": "a\u0000"}}), "sources.events"),
    ("sources.incidents lone surrogate", '{"sources": {"incidents": "\\udc80"}}', "incidents"),
    ("a key with a lone surrogate", '{"\\ud800": 1}', "(top level)"),
    ("a key with a newline", '{"enabled\\n- fine": true}', '"enabled\\n- fine": unknown key'),
    ("a nested key with a NUL", '{"jobs": {"daily\\u0000": {}}}', 'jobs."daily\\u0000": unknown'),
]


@pytest.mark.parametrize(("name", "text", "named"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_hostile_config_value_is_a_config_error(name, text, named):
    Path("ops.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("ops.json"), {})
    assert len(caught.value.problems) == 1
    assert named in caught.value.problems[0]


def _cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops_schedule", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(("name", "text", "named"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_validate_and_status_exit_2_with_one_error_line(name, text, named):
    Path("ops.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    for command in (["validate", "--config", "ops.json"], ["--config", "ops.json", "status"]):
        result = _cli(*command)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.startswith("Error: 1 configuration problem in ops.json:\n")
        assert "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 2


def test_a_fifo_as_the_config_is_refused_without_waiting_for_a_writer():
    os.mkfifo("ops.json")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("ops.json"), {})
    assert caught.value.problems == ("cannot read the file: not a regular file (a FIFO)",)


def test_an_endless_device_as_the_config_is_refused():
    Path("ops.json").symlink_to("/dev/zero")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("ops.json"), {})
    assert caught.value.problems == (
        "cannot read the file: not a regular file (a character device)",
    )


def test_a_config_file_larger_than_the_cap_is_refused_unread():
    assert CONFIG_FILE_LIMIT == 1 << 20
    Path("ops.json").write_text("{}" + " " * CONFIG_FILE_LIMIT, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("ops.json"), {})
    assert caught.value.problems == ("cannot read the file: larger than 1 MiB",)


def test_a_config_file_at_the_cap_is_read():
    Path("ops.json").write_text('{"locale": "en"}'.ljust(CONFIG_FILE_LIMIT), encoding="utf-8")
    assert load_config(Path("ops.json"), {}).locale == "en"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_validate_on_a_fifo_or_dev_zero_exits_2_at_once(kind):
    if kind == "fifo":
        os.mkfifo("ops.json")
    else:
        Path("ops.json").symlink_to("/dev/zero")
    result = _cli("validate", "--config", "ops.json", timeout=20)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: 1 configuration problem in ops.json:\n")
    assert "not a regular file" in result.stderr


def test_a_zone_from_the_environment_past_255_bytes_is_a_config_error():
    Path("ops.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("ops.json"), {"OPS_SCHEDULE_TIMEZONE": "Z" * 400})
    assert caught.value.problems[0].startswith("timezone (from OPS_SCHEDULE_TIMEZONE): ")


def _rewrite(path: Path, text: str) -> None:
    if path.is_symlink() or path.exists():
        path.unlink()
    if text == "fifo":
        os.mkfifo(path)
    elif text == "zero":
        path.symlink_to("/dev/zero")
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")


@pytest.mark.parametrize(
    "text",
    [*(b[1] for b in BAD_FILES), "fifo", "zero", "{}" + " " * CONFIG_FILE_LIMIT],
    ids=[*(b[0] for b in BAD_FILES), "a FIFO", "/dev/zero", "past the size cap"],
)
def test_a_running_loop_keeps_its_last_good_config_when_the_file_turns_hostile(text, caplog):
    path = Path("ops.json")
    path.write_text(json.dumps({"locale": "en", "stateDir": "state"}), encoding="utf-8")
    now = datetime(2026, 11, 26, tzinfo=UTC)
    seen: list[str] = []
    stop = threading.Event()

    def run_once(config: Config, at: datetime, *_: object) -> list[object]:
        seen.append(config.locale)
        if len(seen) == 1:
            _rewrite(path, text)
        return []

    runtime = Runtime(run_once, lambda _c, _n: None, lambda _c, _n: {}, lambda _c, _n: {})
    ticks = run_loop(
        lambda: load_config(path, {}),
        clock=lambda: now,
        stop=stop,
        runtime=runtime,
        interval=60,
        waiter=lambda _timeout: False,
        max_ticks=3,
    )
    assert (ticks, seen) == (3, ["en", "en", "en"])
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("configuration is invalid, keeping the last good one: ")
