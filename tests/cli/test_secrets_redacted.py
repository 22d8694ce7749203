"""The sinks' and pings' URLs and the signing secret are removed from every output literally,
whatever their shape and wherever they came from (the environment or the file)."""

from __future__ import annotations

import functools
import io
import json
import secrets
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from fakereceiver import Reply
from runner_fakes import DAILY, INSTANT, ScriptedJob, jobs_of, raw_config

from ops_schedule.cli import main as cli
from ops_schedule.cli.commands import run as run_command
from ops_schedule.scheduling import runner as runner_module
from ops_schedule.scheduling.runner import Runner

# cli.main switches the process-wide redactor and logging; put them back.
pytestmark = pytest.mark.usefixtures("clean_process_state")

NOW = (INSTANT + timedelta(minutes=5)).astimezone(UTC)


def main(capsys, config: dict, *args: str) -> tuple[int | str | None, str, str]:
    path = Path("ops.json")
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        cli.main(["--config", str(path), *args], jobs=jobs_of(ScriptedJob(DAILY)))
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def test_redact_removes_each_secret_from_the_environment_and_the_file(capsys, monkeypatch):
    slack = "https://chat.example/services/" + secrets.token_hex(12)
    ping = "https://ping.example/" + secrets.token_hex(16)
    signing = secrets.token_urlsafe(24)
    monkeypatch.setenv("OPS_SCHEDULE_SLACK_WEBHOOK_URL", slack)
    monkeypatch.setenv("OPS_SCHEDULE_WEBHOOK_SECRET", signing)
    path = slack.split("example", 1)[1]  # a message may quote the path alone
    text = f"posting to {slack}\npinged {ping}\npath only: {path}\nkey {signing}\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, _ = main(capsys, {"pings": {"url": ping}}, "redact")
    assert code == 0
    for secret in (slack, ping, path, signing):
        assert secret not in out
    assert out.count("[REDACTED]") == 4


def test_a_receiver_that_quotes_its_own_url_cannot_leak_it(tmp_path, capsys, monkeypatch, receiver):
    receiver.reply(Reply(400, f"invalid_payload for {receiver.url}".encode()))
    monkeypatch.setenv("OPS_SCHEDULE_SLACK_WEBHOOK_URL", receiver.url)
    monkeypatch.setattr(run_command, "utc_now", lambda: NOW)
    monkeypatch.setattr(runner_module, "Runner", functools.partial(Runner, clock=lambda: NOW))
    config = {**raw_config(tmp_path), "slack": {"jobs": [DAILY]}}
    code, out, err = main(capsys, config, "--log-format", "json", "run", "--now", DAILY)
    assert code == 1
    assert "Slack refused the message" in out
    state = (tmp_path / "state" / "schedule-state.json").read_text()
    for text in (out, err, state):
        assert receiver.secret_path not in text
