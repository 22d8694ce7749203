"""The GitHub sink against a fake GitHub over real HTTP on loopback."""

from __future__ import annotations

import logging
import socket
import time

import httpx
import pytest
from fakegithub import API_VERSION, FakeGitHub

from ops_schedule import __version__
from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks.comment import MAX_COMMENT_CHARS
from ops_schedule.publishing.sinks.github import GitHubSink
from ops_schedule.publishing.sinks.spacing import Spacing

pytestmark = pytest.mark.usefixtures("no_backoff")

JOB, PERIOD = "daily_observability_report", "2026-11-26"
MARK = f"<!-- ops-schedule:{JOB}:{PERIOD} -->"
REPORT = "# Daily report\n\nAll good.\n"
HINT = "logs/ops-reports/daily_observability_report/2026-11-26.md"
TIMEOUT = httpx.Timeout(0.3)


def sink_for(fake: FakeGitHub, token: str, waits: list[float] | None = None, **options):
    return GitHubSink(
        repo=fake.repo,
        issue=fake.issue,
        token=token,
        api_url=fake.url,
        timeout=TIMEOUT,
        on_wait=None if waits is None else waits.append,
        **options,
    )


# --------------------------------------------------------------------------- creating


def test_it_creates_one_comment_that_starts_with_the_marker(fake_github, github_token):
    posted = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert posted.created is True
    [comment] = fake_github.comments
    assert comment["body"] == f"{MARK}\n{REPORT}"
    assert posted.url == comment["html_url"]


def test_it_sends_the_headers_github_documents(fake_github, github_token):
    sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    post = next(r for r in fake_github.requests if r.method == "POST")
    assert post.path == "/repos/acme/proxy/issues/7/comments"
    assert post.headers["authorization"] == f"Bearer {github_token}"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.headers["x-github-api-version"] == API_VERSION
    assert post.headers["user-agent"] == f"ops-schedule/{__version__}"
    assert post.body == {"body": f"{MARK}\n{REPORT}"}


def test_it_looks_for_the_marker_before_creating(fake_github, github_token):
    sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert [(r.method, r.query.get("per_page")) for r in fake_github.requests] == [
        ("GET", "100"),
        ("POST", None),
    ]


def test_an_oversized_report_is_trimmed_with_a_pointer_to_the_archive(fake_github, github_token):
    report = "".join(f"| mcp-{i} | {i} calls |\n" for i in range(8000))  # ~170,000 characters

    posted = sink_for(fake_github, github_token).post(JOB, PERIOD, report, HINT)

    assert posted.created is True
    [body] = fake_github.bodies()
    assert len(body) <= MAX_COMMENT_CHARS
    assert body.startswith(MARK + "\n| mcp-0 |")
    assert HINT in body
    assert "| mcp-7999 |" not in body


# --------------------------------------------------------------------------- idempotency


def test_posting_the_same_period_again_with_a_fresh_sink_reuses_the_comment(
    fake_github, github_token
):
    first = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)
    again = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert len(fake_github.comments) == 1
    assert again.created is False
    assert again.url == first.url
    assert [r.method for r in fake_github.requests].count("PATCH") == 0


def test_another_period_gets_its_own_comment(fake_github, github_token):
    sink = sink_for(fake_github, github_token)
    sink.post(JOB, PERIOD, REPORT, HINT)
    sink.post(JOB, "2026-11-27", REPORT, HINT)
    sink.post("weekly_observability_report", "2026-W48", REPORT, HINT)

    assert len(fake_github.comments) == 3


def test_the_marker_is_found_on_an_older_page(fake_github, github_token):
    fake_github.max_per_page = 3
    for n in range(7):
        fake_github.add_comment(f"older comment {n}")
    sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)
    for n in range(8):
        fake_github.add_comment(f"newer comment {n}")  # 16 comments: the marker is on page 3
    before = len(fake_github.requests)

    again = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert again.created is False
    assert len(fake_github.with_marker(JOB, PERIOD)) == 1
    pages = [r.query.get("page") for r in fake_github.requests[before:] if r.path != "/user"]
    assert pages == [None, "6", "5", "4", "3"]  # newest first, stops where it is found
    assert [r.path for r in fake_github.requests[before:]].count("/user") == 1  # whose is it?


def test_the_search_reads_every_page_before_creating(fake_github, github_token):
    fake_github.max_per_page = 2
    for n in range(5):
        fake_github.add_comment(f"comment {n}")

    sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    pages = [r.query.get("page") for r in fake_github.requests if r.method == "GET"]
    assert pages == [None, "3", "2"]
    assert [r.method for r in fake_github.requests][-1] == "POST"


def test_a_marker_quoted_inside_another_comment_does_not_count(fake_github, github_token):
    fake_github.add_comment(f"Why did this run twice?\n> {MARK}\n")

    posted = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert posted.created is True
    assert len(fake_github.with_marker(JOB, PERIOD)) == 1


def test_a_changed_report_updates_the_earlier_comment_in_place(fake_github, github_token):
    sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    again = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT + "Rerun.\n", HINT)

    assert again.created is False
    assert fake_github.bodies() == [f"{MARK}\n{REPORT}Rerun.\n"]


def test_an_update_github_refuses_keeps_the_earlier_comment(fake_github, github_token, caplog):
    sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)
    fake_github.fail_next("403", method="PATCH")

    again = sink_for(fake_github, github_token).post(JOB, PERIOD, "changed", HINT)

    assert again.created is False
    assert fake_github.bodies() == [f"{MARK}\n{REPORT}"]
    assert "Kept the earlier comment" in caplog.text


# --------------------------------------------------------------------------- transient failures

TRANSIENT = ["500", "502", "503", "429", "403-rate-limit", "drop", "slow"]


@pytest.mark.parametrize("kind", TRANSIENT)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_transient_failure_is_retried_and_ends_with_exactly_one_comment(
    fake_github, github_token, kind, method
):
    waits: list[float] = []
    fake_github.fail_next(kind, 2, method=method, delay=2.0)

    posted = sink_for(fake_github, github_token, waits).post(JOB, PERIOD, REPORT, HINT)

    assert len(fake_github.with_marker(JOB, PERIOD)) == 1
    assert posted.url == fake_github.comments[0]["html_url"]
    # A slow POST was handled by GitHub: the first retry finds the comment and is done.
    assert len(waits) == (1 if (kind, method) == ("slow", "POST") else 2)


@pytest.mark.parametrize("kind", ["slow", "drop"])
def test_a_comment_created_whose_answer_was_lost_is_not_posted_again(
    fake_github, github_token, kind
):
    # The worst moment: GitHub created the comment, but the answer never arrived.
    fake_github.fail_next(kind, method="POST", after_handling=True, delay=2.0)

    posted = sink_for(fake_github, github_token, []).post(JOB, PERIOD, REPORT, HINT)

    assert len(fake_github.comments) == 1
    assert posted.created is False  # found by the retry's lookup
    assert posted.url == fake_github.comments[0]["html_url"]


def test_the_wait_asked_for_by_retry_after_is_honoured(fake_github, github_token):
    waits: list[float] = []
    fake_github.fail_next("429", retry_after=7)

    sink_for(fake_github, github_token, waits).post(JOB, PERIOD, REPORT, HINT)

    assert waits == [7.0]
    assert len(fake_github.comments) == 1


def test_a_primary_rate_limit_waits_until_just_after_the_reset(fake_github, github_token):
    waits: list[float] = []
    reset = 1_800_000_000
    fake_github.fail_next("403-rate-limit", reset_at=reset)
    sink = sink_for(fake_github, github_token, waits, now=lambda: reset - 42.0)

    sink.post(JOB, PERIOD, REPORT, HINT)

    assert waits == [43.0]  # 42 s to the reset, plus a second: the header has whole seconds
    assert len(fake_github.comments) == 1


def test_a_rate_limit_beyond_the_budget_fails_at_once_saying_when_it_lifts(
    fake_github, github_token
):
    waits: list[float] = []
    reset = 1_800_000_000  # 2027-01-15 08:00:00 UTC
    fake_github.fail_next("403-rate-limit", reset_at=reset)
    sink = sink_for(
        fake_github, github_token, waits, now=lambda: reset - 3600.0, max_retry_seconds=60
    )

    with pytest.raises(SinkError) as caught:
        sink.post(JOB, PERIOD, REPORT, HINT)

    assert caught.value.permanent is False
    assert "lifts at 2027-01-15 08:00:00 UTC" in str(caught.value)
    assert "github.maxRetrySeconds = 60 s" in str(caught.value)
    assert waits == []
    assert len(fake_github.requests) == 1
    assert fake_github.comments == []


def test_retries_stop_when_the_time_budget_is_spent(fake_github, github_token):
    waits: list[float] = []
    fake_github.fail_next("503", 100)
    sink = sink_for(fake_github, github_token, waits, max_retry_seconds=20)

    with pytest.raises(SinkError, match="retry budget ran out") as caught:
        sink.post(JOB, PERIOD, REPORT, HINT)

    assert caught.value.permanent is False
    assert "503 Service Unavailable" in str(caught.value)
    assert 0 < sum(waits) <= 20
    assert len(fake_github.requests) == len(waits) + 1
    assert fake_github.comments == []


# --------------------------------------------------------------------------- permanent failures

PERMANENT = {
    "401": "GITHUB_TOKEN is invalid, expired or revoked",
    "403": "'Issues: Read and write' (issues:write) on acme/proxy",
    "404": "the repository acme/proxy or issue #7 does not exist, or the token cannot see it",
    "410": "issue #7 was deleted or issues are disabled in acme/proxy",
    "422": f"(422: Validation Failed: Body cannot be blank). The report is archived at {HINT}",
}


@pytest.mark.parametrize(("kind", "advice"), PERMANENT.items())
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_permanent_failure_is_not_retried_and_says_what_to_check(
    fake_github, github_token, kind, advice, method
):
    waits: list[float] = []
    fake_github.fail_next(kind, method=method)

    with pytest.raises(SinkError) as caught:
        sink_for(fake_github, github_token, waits).post(JOB, PERIOD, REPORT, HINT)

    assert caught.value.permanent is True
    assert advice in str(caught.value)
    assert REPORT.strip() not in str(caught.value)
    assert waits == []
    assert fake_github.comments == []
    assert [r.method for r in fake_github.requests].count(method) == 1


def test_a_wrong_token_is_reported_as_such(fake_github):
    with pytest.raises(SinkError, match="GITHUB_TOKEN is invalid") as caught:
        sink_for(fake_github, "ghp_" + "0" * 36).post(JOB, PERIOD, REPORT, HINT)

    assert caught.value.permanent is True
    assert fake_github.comments == []


def test_a_wrong_issue_number_is_reported_as_such(fake_github, github_token):
    sink = GitHubSink(
        repo="acme/proxy", issue=8, token=github_token, api_url=fake_github.url, timeout=TIMEOUT
    )

    with pytest.raises(SinkError, match="issue #8 does not exist"):
        sink.post(JOB, PERIOD, REPORT, HINT)


def test_an_unreachable_api_fails_as_transient_within_the_budget(github_token):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []
    sink = GitHubSink(
        repo="acme/proxy",
        issue=7,
        token=github_token,
        api_url=f"http://127.0.0.1:{port}",
        timeout=TIMEOUT,
        max_retry_seconds=5,
        on_wait=waits.append,
    )

    with pytest.raises(SinkError, match="connection failed") as caught:
        sink.post(JOB, PERIOD, REPORT, HINT)

    assert caught.value.permanent is False
    assert sum(waits) <= 5


# --------------------------------------------------------------------------- the token


def test_the_token_appears_in_no_log_record_message_or_repr(
    fake_github, github_token, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)  # root: httpx, httpcore, stamina and ours
    for name in ("httpx", "httpcore", "stamina", "ops_schedule"):
        caplog.set_level(logging.DEBUG, logger=name)
    sink = sink_for(fake_github, github_token, [])
    texts = [repr(sink), str(sink)]

    fake_github.fail_next("503")
    fake_github.fail_next("drop")
    sink.post(JOB, PERIOD, REPORT, HINT)
    for kind in ("401", "403", "404", "422"):
        fake_github.fail_next(kind)
        with pytest.raises(SinkError) as caught:
            sink.post(JOB, "2026-11-27", REPORT, HINT)
        texts += [str(caught.value), repr(caught.value), repr(caught.value.__cause__)]
        assert caught.value.__cause__ is None
        assert caught.value.__context__ is None
    fake_github.fail_next("503", 50)
    with pytest.raises(SinkError) as caught:
        sink_for(fake_github, github_token, [], max_retry_seconds=3).post(
            JOB, "2026-11-28", REPORT, HINT
        )
    texts += [str(caught.value), repr(caught.value)]

    records = caplog.records
    assert any(r.name.startswith("httpx") for r in records)  # the loggers did run
    assert any(r.name.startswith("httpcore") for r in records)
    for record in records:
        texts += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    assert all(github_token not in text for text in texts)
    assert all(github_token[4:] not in text for text in texts)


def test_retries_stop_after_the_most_attempts_even_with_budget_left(fake_github, github_token):
    waits: list[float] = []
    fake_github.fail_next("429", 100, retry_after=1)

    with pytest.raises(SinkError, match="still failing after 25 attempts"):
        sink_for(fake_github, github_token, waits).post(JOB, PERIOD, REPORT, HINT)

    assert len(fake_github.requests) == 25
    assert waits == [1.0] * 24
    assert fake_github.comments == []


# --------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_answer_trickled_byte_by_byte_cannot_hold_a_post_past_its_budget(
    fake_github, github_token, method
):
    # A byte every 0.1 s: no socket read ever waits 0.3 s, and the answer would take 20 s.
    fake_github.fail_next("drip", method=method, delay=0.1)
    sink = sink_for(fake_github, github_token, [], max_retry_seconds=2)
    started = time.monotonic()

    with pytest.raises(SinkError) as failure:
        sink.post(JOB, PERIOD, REPORT, HINT)

    assert time.monotonic() - started < 4
    assert failure.value.permanent is False
    assert str(failure.value).startswith(
        "GitHub still failing when the retry budget ran out (github.maxRetrySeconds = 2 s): "
        "no complete answer within 2 s, the time left of the retry budget, while "
    )


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("429", {"retry_after": 10**20 - 1}),
        ("429", {"retry_after": int("9" * 400)}),
        ("403-rate-limit", {"reset_at": int("9" * 400)}),
    ],
    ids=["retry-after-20-digits", "retry-after-400-digits", "reset-400-digits"],
)
def test_an_absurd_wait_asked_by_github_fails_the_post_with_a_message(
    fake_github, github_token, kind, options
):
    fake_github.fail_next(kind, **options)
    sink = sink_for(fake_github, github_token, [], max_retry_seconds=60)

    with pytest.raises(SinkError) as failure:
        sink.post(JOB, PERIOD, REPORT, HINT)

    assert failure.value.permanent is False
    assert "later than the retry budget allows" in str(failure.value)
    assert fake_github.comments == []


# --------------------------------------------------------------------------- whose marker


def test_a_marker_written_by_someone_else_does_not_silence_the_report(
    fake_github, github_token, caplog
):
    planted = fake_github.add_comment(f"{MARK}\nnothing to see here", user="mallory")

    posted = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert posted.created is True
    assert [c["user"]["login"] for c in fake_github.with_marker(JOB, PERIOD)] == [
        "mallory",
        fake_github.user,
    ]
    assert planted["body"] == f"{MARK}\nnothing to see here"  # not updated in our name
    assert "PATCH" not in [r.method for r in fake_github.requests]
    assert "written by mallory, not by the token's own account (ops-bot)" in caplog.text


def test_our_own_earlier_comment_is_found_and_reused(fake_github, github_token):
    fake_github.add_comment(f"{MARK}\n{REPORT}", user=fake_github.user)

    posted = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert posted.created is False
    assert "POST" not in [r.method for r in fake_github.requests]


def test_who_the_token_is_is_asked_once_per_sink(fake_github, github_token):
    for period in ("2026-11-26", "2026-11-27", "2026-11-28"):
        fake_github.add_comment(f"<!-- ops-schedule:{JOB}:{period} -->\n{REPORT}", fake_github.user)
    sink = sink_for(fake_github, github_token)

    for period in ("2026-11-26", "2026-11-27", "2026-11-28"):
        assert sink.post(JOB, period, REPORT, HINT).created is False

    assert [r.path for r in fake_github.requests].count("/user") == 1


def test_a_sink_that_created_a_comment_knows_its_author_without_asking(fake_github, github_token):
    sink = sink_for(fake_github, github_token)
    sink.post(JOB, PERIOD, REPORT, HINT)

    again = sink.post(JOB, PERIOD, REPORT, HINT)

    assert again.created is False
    assert "/user" not in [r.path for r in fake_github.requests]


def test_with_a_token_that_cannot_name_its_user_only_bot_comments_count(fake_github, github_token):
    fake_github.user, fake_github.user_status = "ops-app[bot]", 403
    fake_github.add_comment(f"{MARK}\n{REPORT}", user="ops-app[bot]")
    other = f"<!-- ops-schedule:{JOB}:2026-11-27 -->"
    fake_github.add_comment(f"{other}\n{REPORT}", user="mallory")
    sink = sink_for(fake_github, github_token)

    assert sink.post(JOB, PERIOD, REPORT, HINT).created is False
    assert sink.post(JOB, "2026-11-27", REPORT, HINT).created is True


# --------------------------------------------------------------------------- how deep


def test_the_search_covers_the_newest_thousand_comments(fake_github, github_token):
    for n in range(150):
        fake_github.add_comment(f"old {n}")
    fake_github.add_comment(f"{MARK}\n{REPORT}", user=fake_github.user)
    for n in range(900):  # 1,051 comments: ours is on page 2 of 11, among the newest 1,000
        fake_github.add_comment(f"newer {n}")

    posted = sink_for(fake_github, github_token).post(JOB, PERIOD, REPORT, HINT)

    assert posted.created is False
    assert len(fake_github.with_marker(JOB, PERIOD)) == 1
    pages = [r.query.get("page") for r in fake_github.requests if r.path.endswith("/comments")]
    assert pages == [None, *[str(p) for p in range(11, 1, -1)]]


def test_the_search_depth_is_a_setting(fake_github, github_token):
    for n in range(150):
        fake_github.add_comment(f"old {n}")
    fake_github.add_comment(f"{MARK}\n{REPORT}", user=fake_github.user)
    for n in range(450):
        fake_github.add_comment(f"newer {n}")

    posted = sink_for(fake_github, github_token, search_comments=200).post(
        JOB, PERIOD, REPORT, HINT
    )

    assert posted.created is True  # 450 newer comments: beyond the 200 searched
    pages = [r.query.get("page") for r in fake_github.requests if r.method == "GET"]
    assert pages == [None, "7", "6"]


def test_the_configured_depth_reaches_the_sink(fake_github, github_token):
    from ops_schedule.config import parse_config
    from ops_schedule.publishing.sinks.github import build_sink

    config = parse_config(
        {
            "dashboardIssue": 7,
            "github": {"repo": "acme/proxy", "markerSearchComments": 3000},
        },
        environ={},
    )

    assert build_sink(config, {"GITHUB_TOKEN": github_token}).search_comments == 3000


# --------------------------------------------------------------------------- spacing


def test_consecutive_comment_posts_are_at_least_a_second_apart(fake_github, github_token):
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    spacing = Spacing(clock=lambda: now[0], sleep=sleep)
    sink = sink_for(fake_github, github_token, spacing=spacing)

    sink.post(JOB, "2026-11-26", REPORT, HINT)
    now[0] += 0.15  # the next job's report is ready a moment later
    sink.post(JOB, "2026-11-27", REPORT, HINT)
    sink.post(JOB, "2026-11-27", REPORT + "changed\n", HINT)  # a PATCH is mutative too
    now[0] += 5.0
    sink.post(JOB, "2026-11-28", REPORT, HINT)

    assert [r.method for r in fake_github.requests if r.method != "GET"] == [
        "POST",
        "POST",
        "PATCH",
        "POST",
    ]
    assert sleeps == [pytest.approx(0.85), 1.0]


def test_every_sink_of_the_process_shares_the_spacing(
    fake_github, github_token, process_spacing_waits
):
    sink_for(fake_github, github_token).post(JOB, "2026-11-26", REPORT, HINT)
    sink_for(fake_github, github_token).post(JOB, "2026-11-27", REPORT, HINT)

    assert len(process_spacing_waits) == 1
    assert 0 < process_spacing_waits[0] <= 1.0


def test_the_spacing_waits_only_what_is_left_of_the_second():
    now = [0.0]
    sleeps: list[float] = []
    spacing = Spacing(clock=lambda: now[0], sleep=sleeps.append)

    spacing.wait()
    now[0] = 0.4
    spacing.wait()  # sleeps 0.6 (the fake sleep does not move the clock)
    now[0] = 3.0
    spacing.wait()

    assert sleeps == [pytest.approx(0.6)]
