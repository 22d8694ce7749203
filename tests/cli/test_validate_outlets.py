"""validate on the Slack, webhook and ping settings: warnings that name fields and variables,
never a secret's value."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from ops_schedule.cli.main import main

# cli.main switches the process-wide redactor and logging; put them back.
pytestmark = pytest.mark.usefixtures("clean_process_state")

DAILY = "daily_observability_report"


def validate(capsys: pytest.CaptureFixture[str], document: dict) -> tuple[int, str]:
    Path("ops.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--config", "ops.json"])
    out, err = capsys.readouterr()
    code = exited.value.code
    assert isinstance(code, int)
    return code, out + err


def test_a_listed_job_without_a_url_is_warned_about(capsys):
    code, out = validate(capsys, {"slack": {"jobs": [DAILY]}, "webhook": {"jobs": [DAILY]}})
    assert code == 0
    assert out.splitlines()[1:] == [
        (
            f"warning: slack.jobs names {DAILY}, but no webhook URL is set (slack.webhookUrl or "
            "OPS_SCHEDULE_SLACK_WEBHOOK_URL)"
        ),
        (
            f"warning: webhook.jobs names {DAILY}, but no URL is set (webhook.url or "
            "OPS_SCHEDULE_WEBHOOK_URL)"
        ),
    ]


def test_invalid_secrets_in_the_environment_are_named_by_variable_only(capsys, monkeypatch):
    value = "hooks.example/" + secrets.token_hex(16)
    monkeypatch.setenv("OPS_SCHEDULE_SLACK_WEBHOOK_URL", value)
    monkeypatch.setenv("OPS_SCHEDULE_WEBHOOK_SECRET", "tiny")
    monkeypatch.setenv("OPS_SCHEDULE_PING_URL_WEEKLY_IMPROVEMENT_DIGEST", value)
    code, out = validate(
        capsys,
        {"slack": {"jobs": [DAILY]}, "webhook": {"url": "https://r.example/h", "jobs": [DAILY]}},
    )
    assert code == 0
    assert (
        f"warning: slack.jobs names {DAILY}, but OPS_SCHEDULE_SLACK_WEBHOOK_URL is not an "
        "http(s) URL"
    ) in out
    assert (
        f"warning: webhook.jobs names {DAILY}, but OPS_SCHEDULE_WEBHOOK_SECRET is not a signing "
        "secret (at least 16 characters, no surrounding spaces)"
    ) in out
    assert (
        "warning: weekly_improvement_digest is not pinged: "
        "OPS_SCHEDULE_PING_URL_WEEKLY_IMPROVEMENT_DIGEST is not an http(s) URL"
    ) in out
    assert value not in out
    assert "tiny" not in out


def test_a_url_without_any_job_does_nothing_and_says_so(capsys, monkeypatch):
    monkeypatch.setenv("OPS_SCHEDULE_WEBHOOK_URL", "https://receiver.example/" + "k" * 20)
    code, out = validate(capsys, {})
    assert code == 0
    assert "warning: a webhook URL is set, but webhook.jobs is empty: nothing is sent" in out
    assert "k" * 20 not in out


def test_a_secret_written_wrongly_in_the_file_is_an_error_that_hides_it(capsys):
    token = secrets.token_hex(16)
    code, out = validate(capsys, {"pings": {"url": f"hc-ping.example/{token}"}})
    assert code == 2
    assert "pings.url: (hidden) is not an http(s) URL" in out
    assert token not in out
