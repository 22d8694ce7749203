"""Posting through the runner: one comment per period, whatever happens to the process.

The kill test starts real processes (``ops-schedule run --now`` through ``cli.main``) against
the fake GitHub and SIGKILLs one right after its comment was created, before it saved state.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakegithub import FakeGitHub

from ops_schedule.cli.main import main
from ops_schedule.cli.output import use_redactor
from ops_schedule.config import parse_config
from ops_schedule.redaction import build_redactor
from ops_schedule.reports.base import JobContext, Report
from ops_schedule.scheduling.runner import Runner, RunOutcome

pytestmark = pytest.mark.usefixtures("no_backoff")

JOB = "daily_observability_report"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PERIOD = "2026-11-26"


class FixedReport:
    """A job whose report is the same on every run of a period (as a real rerun's is)."""

    name = JOB

    def build(self, ctx: JobContext) -> Report:
        return Report(
            job=ctx.job,
            period_key=ctx.period_key,
            summary=f"daily {ctx.period_key}: 3 events",
            markdown=f"# Daily report {ctx.period_key}\n\n3 events, all ok.\n",
        )


JOBS = {JOB: FixedReport()}


def config_document(fake) -> dict:
    return {
        "timezone": "UTC",
        "stateDir": "state",
        "outputDir": "reports",
        "dashboardIssue": fake.issue,
        "github": {"repo": fake.repo, "apiUrl": fake.url, "maxRetrySeconds": 5},
        "jobs": {JOB: {"enabled": True, "postToIssue": True}},
    }


def runner_for(fake, token: str) -> Runner:
    config = parse_config(config_document(fake), environ={})
    return Runner(config, jobs=JOBS, clock=lambda: NOW, environ={"GITHUB_TOKEN": token})


def state_of(job: str = JOB) -> dict:
    state = json.loads(Path("state/schedule-state.json").read_text(encoding="utf-8"))
    return state["jobs"][job]


# --------------------------------------------------------------------------- in process


def test_a_run_posts_once_and_records_the_comment_url(fake_github, github_token):
    [outcome] = runner_for(fake_github, github_token).run_now(NOW, [JOB])

    assert isinstance(outcome, RunOutcome)
    assert outcome.status == "ok"
    [comment] = fake_github.comments
    assert outcome.comment_url == comment["html_url"]
    assert state_of()["lastCommentUrl"] == comment["html_url"]


def test_a_deleted_state_file_does_not_lead_to_a_second_comment(fake_github, github_token):
    runner_for(fake_github, github_token).run_now(NOW, [JOB])
    shutil.rmtree("state")

    [outcome] = runner_for(fake_github, github_token).run_now(NOW, [JOB])

    assert isinstance(outcome, RunOutcome)
    assert outcome.status == "ok"
    assert len(fake_github.comments) == 1
    assert outcome.comment_url == fake_github.comments[0]["html_url"]


def test_a_permanent_failure_fails_the_run_keeps_the_archive_and_says_what_to_do(
    fake_github, github_token
):
    fake_github.fail_next("404")

    [outcome] = runner_for(fake_github, github_token).run_now(NOW, [JOB])

    assert isinstance(outcome, RunOutcome)
    assert outcome.status == "fail"
    assert outcome.error is not None
    assert "the repository acme/proxy or issue #7 does not exist" in outcome.error
    assert fake_github.comments == []
    assert Path(f"reports/{JOB}/{PERIOD}.md").is_file()
    assert state_of()["lastStatus"] == "fail"
    assert "dashboardIssue" in state_of()["lastError"]


def test_run_json_names_the_archive_of_a_run_whose_post_failed(
    fake_github, github_token, capsys, monkeypatch
):
    Path("ops-schedule.json").write_text(json.dumps(config_document(fake_github)), "utf-8")
    monkeypatch.setenv("GITHUB_TOKEN", github_token)
    fake_github.fail_next("404")

    with pytest.raises(SystemExit) as exit_run:
        main(["--config", "ops-schedule.json", "run", "--now", "--json", JOB], jobs=JOBS)
    use_redactor(None)

    assert exit_run.value.code == 1
    [result] = json.loads(capsys.readouterr().out)
    assert result["status"] == "fail"
    period = result["period"]  # the CLI runs on the real clock
    assert result["archived"] == [f"reports/{JOB}/{period}.md", f"reports/{JOB}/{period}.json"]
    assert all(Path(path).is_file() for path in result["archived"])
    assert result["summary"] is None
    assert "does not exist" in result["error"]


def test_a_missing_token_fails_the_job_before_any_work(fake_github, github_token):
    config = parse_config(config_document(fake_github), environ={})

    [outcome] = Runner(config, jobs=JOBS, clock=lambda: NOW, environ={}).run_now(NOW, [JOB])

    assert isinstance(outcome, RunOutcome)
    assert outcome.status == "fail"
    assert outcome.error is not None
    assert "GITHUB_TOKEN environment variable is not set" in outcome.error
    assert fake_github.requests == []
    assert not Path("reports").exists()


def test_the_token_reaches_neither_state_nor_archive_nor_outcome(fake_github, github_token):
    fake_github.fail_next("401")
    [failed] = runner_for(fake_github, github_token).run_now(NOW, [JOB])
    [posted] = runner_for(fake_github, github_token).run_now(NOW, [JOB])

    texts = [repr(failed), repr(posted), Path("state/schedule-state.json").read_text()]
    texts += [p.read_text() for p in Path("reports").rglob("*") if p.is_file()]
    assert all(github_token not in text for text in texts)


def odd_token() -> str:
    """A token in no format the redactor knows (as a GitHub Enterprise or proxy token may be):
    short groups, so no pattern takes it for a key."""
    return ".".join(secrets.token_hex(4) for _ in range(6))


@pytest.mark.parametrize("kind", ["401", "403", "422"])
def test_githubs_own_text_quoting_the_token_is_scrubbed_from_every_output(
    kind, capsys, monkeypatch
):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)  # loopback must not go through a proxy
    token = odd_token()
    assert build_redactor().redact(token) == token  # no pattern would catch it
    fake = FakeGitHub(token=token).start()
    try:
        Path("ops-schedule.json").write_text(json.dumps(config_document(fake)), "utf-8")
        monkeypatch.setenv("GITHUB_TOKEN", token)
        fake.fail_next(kind, message=f"Bad credentials: 'Bearer {token}' ({token})")
        with pytest.raises(SystemExit) as exit_run:
            main(["--config", "ops-schedule.json", "run", "--now", "--json", JOB], jobs=JOBS)
        run_out = capsys.readouterr()
        with pytest.raises(SystemExit):
            main(["--config", "ops-schedule.json", "status", "--json"])
        status_out = capsys.readouterr()
    finally:
        fake.stop()
        use_redactor(None)

    assert exit_run.value.code == 1
    assert "[REDACTED]" in json.loads(run_out.out)[0]["error"]
    texts = {
        "run stdout": run_out.out,
        "run stderr": run_out.err,
        "status": status_out.out + status_out.err,
        "state": Path("state/schedule-state.json").read_text("utf-8"),
        "lastError": state_of()["lastError"],
    }
    assert {where: token in text for where, text in texts.items()} == dict.fromkeys(texts, False)


# --------------------------------------------------------------------------- real processes

SCRIPT = textwrap.dedent(
    """
    import os
    import signal
    import sys

    from ops_schedule.cli.main import main
    from ops_schedule.reports.base import Report
    from ops_schedule.publishing.sinks import github


    class FixedReport:
        name = "daily_observability_report"

        def build(self, ctx):
            return Report(
                job=ctx.job,
                period_key=ctx.period_key,
                summary=f"daily {ctx.period_key}: 3 events",
                markdown=f"# Daily report {ctx.period_key}\\n\\n3 events, all ok.\\n",
            )


    if sys.argv[1] == "kill-after-post":
        post = github.GitHubSink.post

        def post_then_die(self, *args, **kwargs):
            posted = post(self, *args, **kwargs)
            print("posted", posted.url, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # before the runner records the run

        github.GitHubSink.post = post_then_die

    main(
        ["--config", "ops-schedule.json", "run", "--now", "daily_observability_report"],
        jobs={"daily_observability_report": FixedReport()},
    )
    """
)


def run_cli(mode: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITHUB_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "run_once.py", mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_a_process_killed_after_posting_does_not_post_again(fake_github, github_token):
    Path("ops-schedule.json").write_text(json.dumps(config_document(fake_github)))
    Path("run_once.py").write_text(SCRIPT)

    killed = run_cli("kill-after-post", github_token)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [comment] = fake_github.comments
    assert killed.stdout.strip() == f"posted {comment['html_url']}"
    assert state_of().get("lastCommentUrl") is None  # killed before it recorded the run
    assert state_of().get("lastStatus") != "ok"

    again = run_cli("plain", github_token)

    assert again.returncode == 0, again.stderr
    assert len(fake_github.comments) == 1
    assert f"posted: {comment['html_url']}" in again.stdout
    assert state_of()["lastStatus"] == "ok"
    assert state_of()["lastCommentUrl"] == comment["html_url"]
    assert [r.method for r in fake_github.requests].count("POST") == 1
