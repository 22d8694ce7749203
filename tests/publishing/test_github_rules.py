"""The pure parts of posting: the marker, trimming, retry waits, GitHub's answers."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks.comment import (
    MAX_COMMENT_CHARS,
    carries_marker,
    comment_size,
    compose,
    marker,
    same_body,
    trim_note,
)
from ops_schedule.publishing.sinks.github import retry_wait
from ops_schedule.publishing.sinks.github_api import (
    IssueComments,
    Transient,
    github_message,
    rate_limit_wait,
)

MARK = marker("daily_observability_report", "2026-11-26")
HINT = "logs/ops-reports/daily_observability_report/2026-11-26.md"
NOW = 1_800_000_000.0

# --------------------------------------------------------------------------- marker


def test_the_marker_names_the_job_and_the_period():
    assert MARK == "<!-- ops-schedule:daily_observability_report:2026-11-26 -->"
    assert marker("weekly_improvement_digest", "2026-W48").endswith(":2026-W48 -->")


@pytest.mark.parametrize("bad", ["", "a b", "x-->y", "line\nbreak", "a--b"])
def test_a_name_that_could_break_the_html_comment_is_refused(bad):
    with pytest.raises(ValueError, match="cannot be part of a comment marker"):
        marker("daily_observability_report", bad)


def test_a_comment_carries_the_marker_only_on_its_first_line():
    assert carries_marker(f"{MARK}\n# Report", MARK)
    assert carries_marker(f"\r\n{MARK}\r\n# Report", MARK)
    assert not carries_marker(f"# Report\n{MARK}", MARK)
    assert not carries_marker(f"> {MARK}", MARK)
    assert not carries_marker(MARK.replace("2026-11-26", "2026-11-2"), MARK)
    assert not carries_marker(None, MARK)


def test_bodies_that_differ_only_in_line_endings_are_the_same():
    assert same_body("a\r\nb\r\n", "a\nb")
    assert not same_body("a\nb", "a\nc")


# --------------------------------------------------------------------------- trimming


def test_a_body_that_fits_is_sent_whole_after_the_marker():
    assert compose(MARK, "# Report\n", HINT) == f"{MARK}\n# Report\n"


def test_a_body_of_exactly_the_limit_is_not_trimmed():
    body = "x" * (MAX_COMMENT_CHARS - len(MARK) - 1)
    assert compose(MARK, body, HINT) == f"{MARK}\n{body}"


def test_a_long_body_is_cut_at_a_line_boundary_with_a_note():
    lines = [f"line {i:05d}" for i in range(10_000)]
    body = "\n".join(lines)

    text = compose(MARK, body, HINT)

    assert len(text) <= MAX_COMMENT_CHARS
    head, note = text.split("\n\n---\n")
    assert head.split("\n")[1:] == lines[: len(head.split("\n")) - 1]  # whole lines only
    assert f"this report ({len(MARK) + 1 + len(body):,} characters)" in note
    assert HINT in note
    assert "longer than a GitHub comment may be (65,536)" in note


def test_a_cut_inside_a_code_block_closes_it_before_the_note():
    body = "intro\n```mermaid\n" + "\n".join(f"A{i} --> B{i}" for i in range(200)) + "\n```\n"

    note = trim_note(len(MARK) + 1 + len(body), HINT)

    text = compose(MARK, body, HINT, limit=len(MARK) + len(note) + 100)

    head = text.split("\n\n---\n")[0]
    assert head.endswith("\n```")
    assert head.count("```") == 2


def test_an_emoji_beyond_the_basic_plane_counts_twice():
    assert comment_size("日本") == 2
    assert comment_size("\N{LARGE RED CIRCLE}") == 2

    text = compose(MARK, "\N{LARGE RED CIRCLE} down\n" * 20_000, HINT)

    assert MAX_COMMENT_CHARS - 10 <= comment_size(text) <= MAX_COMMENT_CHARS
    assert len(text) < comment_size(text) - 8000  # every line's circle counted twice


def test_one_huge_line_is_cut_mid_line_and_still_starts_with_the_marker():
    text = compose(MARK, "y" * 100_000, HINT)

    assert len(text) == MAX_COMMENT_CHARS
    assert text.startswith(MARK + "\nyyy")
    assert text.endswith(f"`{HINT}`\n")


@given(st.text(max_size=3000), st.integers(min_value=800, max_value=4000))
def test_a_composed_comment_never_exceeds_the_limit_and_starts_with_the_marker(body, limit):
    text = compose(MARK, body, HINT, limit=limit)

    assert comment_size(text) <= limit
    assert carries_marker(text, MARK)
    if comment_size(f"{MARK}\n{body}") <= limit:
        assert text == f"{MARK}\n{body}"
    else:
        assert HINT in text


# --------------------------------------------------------------------------- waits


def test_the_wait_github_asks_for_wins():
    assert retry_wait(Transient("429", asked=30.0), failures=5, jitter=0.5) == 30.0
    assert retry_wait(Transient("429", asked=0.0), failures=1, jitter=0.5) == 1.0


def test_other_failures_back_off_exponentially_up_to_a_minute_plus_jitter():
    waits = [retry_wait(Transient("503"), failures=n, jitter=0.25) for n in range(1, 9)]
    assert waits == [1.25, 2.25, 4.25, 8.25, 16.25, 32.25, 60.25, 60.25]


def test_a_rate_limit_without_a_time_waits_a_minute_then_doubles():
    failure = Transient("403 secondary", floor=60.0)
    assert [retry_wait(failure, n, jitter=0.9) for n in (1, 2, 3)] == [60.0, 120.0, 240.0]


def test_retry_after_in_seconds():
    assert rate_limit_wait({"retry-after": "17"}, NOW) == (17.0, NOW + 17)


def test_retry_after_as_an_http_date():
    headers = {"retry-after": "Fri, 15 Jan 2027 08:01:00 GMT"}  # NOW + 60 s
    assert rate_limit_wait(headers, NOW) == (60.0, NOW + 60)


def test_an_exhausted_primary_limit_waits_until_just_after_the_reset():
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 90)}
    assert rate_limit_wait(headers, NOW) == (91.0, NOW + 90)


def test_remaining_requests_or_no_headers_name_no_time():
    headers = {"x-ratelimit-remaining": "12", "x-ratelimit-reset": str(int(NOW) + 90)}
    assert rate_limit_wait(headers, NOW) is None
    assert rate_limit_wait({}, NOW) is None
    assert rate_limit_wait({"retry-after": "soon"}, NOW) is None


# --------------------------------------------------------------------------- answers


def comments(api_url: str = "https://api.github.com") -> IssueComments:
    client = httpx.Client()
    client.close()
    return IssueComments(
        client, api_url=api_url, repo="acme/proxy", issue=7, archive_hint=HINT, now=lambda: NOW
    )


def answer(status: int, json: object = None, headers: dict[str, str] | None = None):
    return httpx.Response(status, json=json, headers=headers)


def test_githubs_message_and_errors_are_quoted_on_one_line():
    response = answer(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"field": "body", "code": "too_long", "value": "SECRET BODY"}],
        },
    )
    assert github_message(response) == "Validation Failed: body too_long"


def test_an_answer_without_a_message_is_named_by_its_status():
    assert github_message(httpx.Response(502, text="<html>bad gateway</html>")) == "Bad Gateway"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(status):
    assert isinstance(comments().failure(answer(status), "listing"), Transient)


def test_a_forbidden_answer_that_mentions_a_rate_limit_is_transient():
    response = answer(403, {"message": "You have exceeded a secondary rate limit."})
    failure = comments().failure(response, "creating a comment")
    assert isinstance(failure, Transient)
    assert failure.floor == 60.0


def test_a_forbidden_answer_about_permissions_is_permanent():
    response = answer(403, {"message": "Resource not accessible by integration"})
    failure = comments().failure(response, "creating a comment")
    assert isinstance(failure, SinkError)
    assert failure.permanent is True
    assert "Resource not accessible by integration" in str(failure)
    assert "SAML single sign-on" in str(failure)


def test_a_pagination_link_to_another_host_is_not_followed():
    response = answer(200, [], {"Link": '<https://elsewhere.example/x?page=9>; rel="last"'})
    with pytest.raises(SinkError, match="refusing to follow it") as caught:
        comments().link(response, "last")
    assert caught.value.permanent is True


def test_a_pagination_link_on_the_api_host_is_followed():
    url = "https://ghe.example/api/v3/repositories/1/issues/7/comments?page=3"
    response = answer(200, [], {"Link": f'<{url}>; rel="last"'})
    assert comments("https://ghe.example/api/v3").link(response, "last") == url
