"""A run's result goes to GitHub, Slack and a webhook, and ping services hear of the run —
through the runner, against local receivers; no sink or ping URL ever shows."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakereceiver import FakeReceiver, Reply

from ops_schedule.config import parse_config
from ops_schedule.errors import JobError
from ops_schedule.publishing.telemetry import PingReport, SinkReport
from ops_schedule.reports.base import JobContext, Report
from ops_schedule.scheduling.runner import Runner, RunOutcome

pytestmark = pytest.mark.usefixtures("no_backoff")

JOB = "daily_observability_report"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PERIOD = "2026-11-26"


class Job:
    name = JOB

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.fail_with = fail_with

    def build(self, ctx: JobContext) -> Report:
        if self.fail_with is not None:
            raise self.fail_with
        data = {"job": JOB, "period": ctx.period_key, "alert": "OK", "topFailures": []}
        return Report(JOB, ctx.period_key, f"daily {ctx.period_key}: 3 events", "# r\n", data)


@pytest.fixture
def ping_service() -> FakeReceiver:
    fake = FakeReceiver().start()
    yield fake
    fake.stop()


def document(**sections) -> dict:
    return {
        "timezone": "UTC",
        "stateDir": "state",
        "outputDir": "reports",
        "jobs": {JOB: {"enabled": True}},
        **sections,
    }


def run(doc: dict, environ: dict[str, str], job: Job | None = None) -> RunOutcome:
    config = parse_config(doc, environ)
    runner = Runner(config, jobs={JOB: job or Job()}, clock=lambda: NOW, environ=environ)
    (outcome,) = runner.run_now(NOW, [JOB], force=True)
    assert isinstance(outcome, RunOutcome)
    return outcome


def everything_written(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> str:
    files = "".join(p.read_text("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file())
    return files + caplog.text


def test_one_run_reaches_github_slack_the_webhook_and_the_ping_service(  # noqa: PLR0917
    tmp_path, fake_github, github_token, receiver, second_receiver, ping_service, caplog
):
    # Our own log lines, at every level (the HTTP library's own logging is kept at WARNING
    # by the CLI's log setup: it names the URLs it requests).
    caplog.set_level(logging.DEBUG, logger="ops_schedule")
    signing = secrets.token_urlsafe(24)
    doc = document(
        dashboardIssue=fake_github.issue,
        github={"repo": fake_github.repo, "apiUrl": fake_github.url},
        slack={"jobs": [JOB]},
        webhook={"url": second_receiver.url, "jobs": [JOB]},
        pings={"jobs": {JOB: ping_service.url}},
    )
    doc["jobs"][JOB]["postToIssue"] = True
    environ = {
        "GITHUB_TOKEN": github_token,
        "OPS_SCHEDULE_SLACK_WEBHOOK_URL": receiver.url,  # from the environment, not the file
        "OPS_SCHEDULE_WEBHOOK_SECRET": signing,
    }
    outcome = run(doc, environ)
    assert outcome.status == "ok", outcome.error
    (comment,) = fake_github.with_marker(JOB, PERIOD)
    (slack,) = receiver.requests()
    assert comment["html_url"] in slack.body.decode()  # Slack links to the comment
    (hook,) = second_receiver.requests()
    assert json.loads(hook.body)["period"] == PERIOD
    assert "x-ops-schedule-signature-256" in hook.headers
    start, end = ping_service.requests()
    assert start.path.endswith("/start")
    assert end.path.endswith("/0")
    assert end.body == f"{JOB} {PERIOD}: daily {PERIOD}: 3 events".encode()
    assert outcome.telemetry.sinks == (
        SinkReport("github", "posted"),
        SinkReport("slack", "posted"),
        SinkReport("webhook", "posted"),
    )
    assert outcome.telemetry.pings == (PingReport("start", True), PingReport("success", True))
    written = everything_written(tmp_path, caplog)
    for secret in (receiver.secret_path, second_receiver.secret_path, ping_service.secret_path):
        assert secret not in written
    assert signing not in written


def test_github_retries_and_rate_limit_waits_are_counted_for_the_metrics(
    tmp_path, fake_github, github_token
):
    fake_github.fail_next("429", retry_after=7)
    fake_github.fail_next("502")
    doc = document(
        dashboardIssue=fake_github.issue,
        github={"repo": fake_github.repo, "apiUrl": fake_github.url},
    )
    doc["jobs"][JOB]["postToIssue"] = True
    outcome = run(doc, {"GITHUB_TOKEN": github_token})
    assert outcome.status == "ok", outcome.error
    assert outcome.telemetry.sinks == (
        SinkReport("github", "posted", retries=2, rate_limit_waits=1, rate_limit_seconds=7.0),
    )


def test_a_failed_job_is_pinged_as_a_failure_with_its_error_redacted(
    tmp_path, ping_service, caplog
):
    token = "ghp_" + secrets.token_hex(18)
    job = Job(JobError(f"cannot read the log: token {token} rejected"))
    outcome = run(document(pings={"url": ping_service.url}), {}, job)
    assert outcome.status == "fail"
    end = ping_service.requests()[-1]
    assert end.path.endswith("/fail")
    assert b"cannot read the log" in end.body
    assert token.encode() not in end.body
    assert b"[REDACTED]" in end.body


def test_a_ping_service_that_is_down_never_fails_the_job(tmp_path, ping_service, caplog):
    ping_service.default = Reply(500)
    caplog.set_level(logging.WARNING)
    environ = {"OPS_SCHEDULE_PING_URL": ping_service.url}
    outcome = run(document(pings={"retries": 1}), environ)
    assert outcome.status == "ok"
    assert outcome.telemetry.pings == (PingReport("start", False), PingReport("success", False))
    assert "the run goes on" in caplog.text
    state = json.loads((tmp_path / "state" / "schedule-state.json").read_text())
    assert state["jobs"][JOB]["lastStatus"] == "ok"


def test_a_job_listed_for_slack_without_a_url_fails_before_it_is_built(tmp_path, ping_service):
    built: list[str] = []

    class Counting(Job):
        def build(self, ctx: JobContext) -> Report:
            built.append(ctx.period_key)
            return super().build(ctx)

    outcome = run(document(slack={"jobs": [JOB]}, pings={"url": ping_service.url}), {}, Counting())
    assert outcome.status == "fail"
    assert outcome.error == (
        f"slack.jobs names {JOB}, but no webhook URL is set "
        "(slack.webhookUrl or OPS_SCHEDULE_SLACK_WEBHOOK_URL)"
    )
    assert built == []
    assert ping_service.requests()[-1].path.endswith("/fail")


def test_an_invalid_url_in_the_environment_is_named_by_its_variable_not_its_value(tmp_path):
    environ = {"OPS_SCHEDULE_SLACK_WEBHOOK_URL": "hooks.example/T0/B0/s3cr3tvalue"}
    outcome = run(document(slack={"jobs": [JOB]}), environ)
    assert outcome.error == (
        f"slack.jobs names {JOB}, but OPS_SCHEDULE_SLACK_WEBHOOK_URL is not an http(s) URL"
    )


def test_a_rerun_after_a_failed_delivery_does_not_post_twice_where_it_already_went(
    tmp_path, receiver, second_receiver
):
    receiver.default = Reply(404, b"no_service")  # Slack refuses
    doc = document(
        slack={"webhookUrl": receiver.url, "jobs": [JOB]},
        webhook={"url": second_receiver.url, "jobs": [JOB]},
    )
    first = run(doc, {})
    assert first.status == "fail"
    assert "Slack refused the message" in (first.error or "")
    assert first.archived  # archived all the same
    receiver.default = Reply(200)
    second = run(doc, {})
    assert second.status == "ok"
    assert len(second_receiver.requests()) == 1  # the webhook had it already
    assert len(receiver.requests()) == 2
    assert second.telemetry.sinks == (
        SinkReport("slack", "posted"),
        SinkReport("webhook", "reused"),
    )
