"""What the runner and ``validate`` ask before posting: posting_problems and build_sink."""

from __future__ import annotations

import secrets

import pytest

from ops_schedule.config import parse_config
from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks.github import GitHubSink, build_sink
from ops_schedule.publishing.sinks.github_setup import posting_problems

JOB = "daily_observability_report"


def config(**fields):
    raw = {"jobs": {JOB: {"postToIssue": True}}, **fields}
    return parse_config(raw, environ={})


@pytest.fixture
def token() -> str:
    return "ghp_" + secrets.token_hex(18)


def test_a_job_that_does_not_post_has_no_posting_problems():
    assert posting_problems(parse_config({}, environ={}), {}, JOB) == []


def test_a_complete_setup_has_no_posting_problems(token):
    cfg = config(dashboardIssue=7, github={"repo": "acme/proxy"})
    assert posting_problems(cfg, {"GITHUB_TOKEN": token}, JOB) == []


def test_every_missing_piece_is_named_with_what_to_do():
    problems = posting_problems(config(), {}, JOB)

    prefix = f"jobs.{JOB}.postToIssue is true, but "
    assert problems == [
        prefix + "dashboardIssue is not set: set it to the number of the issue that receives "
        "the comments",
        prefix + "no repository is set: set github.repo to owner/name, or the "
        "GITHUB_REPOSITORY environment variable",
        prefix + "the GITHUB_TOKEN environment variable is not set: export a token that may "
        "write issue comments on the repository (see docs/github.md)",
    ]


def test_the_repository_may_come_from_github_repository(token):
    cfg = config(dashboardIssue=7)
    env = {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "acme/proxy"}

    assert posting_problems(cfg, env, JOB) == []
    assert build_sink(cfg, env).repo == "acme/proxy"


def test_a_malformed_github_repository_is_named(token):
    env = {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "just-a-name"}
    assert posting_problems(config(dashboardIssue=7), env, JOB) == [
        f"jobs.{JOB}.postToIssue is true, but GITHUB_REPOSITORY 'just-a-name' is not owner/name"
    ]


@pytest.mark.parametrize("shape", ["Bearer {t}", "{t} extra", "{t}\u00e9"])
def test_a_token_a_header_cannot_carry_is_refused_without_quoting_it(token, shape):
    bad = shape.format(t=token)
    cfg = config(dashboardIssue=7, github={"repo": "acme/proxy"})

    [problem] = posting_problems(cfg, {"GITHUB_TOKEN": bad}, JOB)

    assert "GITHUB_TOKEN contains spaces or characters an HTTP header cannot carry" in problem
    assert token not in problem


def test_surrounding_whitespace_around_the_token_is_forgiven(token):
    cfg = config(dashboardIssue=7, github={"repo": "acme/proxy"})
    assert posting_problems(cfg, {"GITHUB_TOKEN": f" {token}\n"}, JOB) == []


def test_build_sink_uses_the_configured_issue_api_and_budget(token):
    cfg = config(
        dashboardIssue=12,
        github={
            "repo": "acme/proxy",
            "apiUrl": "https://ghe.example/api/v3/",
            "maxRetrySeconds": 90,
        },
    )

    sink = build_sink(cfg, {"GITHUB_TOKEN": token})

    assert (sink.repo, sink.issue, sink.api_url, sink.max_retry) == (
        "acme/proxy",
        12,
        "https://ghe.example/api/v3",
        90,
    )
    assert repr(sink) == (
        "GitHubSink(repo='acme/proxy', issue=12, api_url='https://ghe.example/api/v3')"
    )


def test_build_sink_refuses_an_incomplete_setup_with_every_problem():
    with pytest.raises(SinkError) as caught:
        build_sink(config(), {})

    assert caught.value.permanent is True
    assert "dashboardIssue is not set" in str(caught.value)
    assert "no repository is set" in str(caught.value)
    assert "GITHUB_TOKEN environment variable is not set" in str(caught.value)


def test_the_sink_keeps_the_token_out_of_its_attributes_and_repr(token):
    sink = GitHubSink(repo="acme/proxy", issue=7, token=token)

    assert token not in repr(sink)
    assert all(token not in str(getattr(sink, name)) for name in ("repo", "api_url", "issue"))
    with pytest.raises(AttributeError):
        sink.__dict__  # noqa: B018 - slotted: no hidden copies
