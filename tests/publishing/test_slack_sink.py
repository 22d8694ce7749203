"""The Slack sink against a local incoming webhook: retries, refusals, hostile answers, secrecy."""

from __future__ import annotations

import json
import logging
import time

import pytest
from fakereceiver import FakeReceiver, Reply

from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks.base import Outgoing
from ops_schedule.publishing.sinks.http import MAX_ANSWER_BYTES
from ops_schedule.publishing.sinks.slack import SlackSink

DAILY = "daily_observability_report"
DATA = {
    "job": DAILY,
    "period": "2026-11-26",
    "alert": "WARNING",
    "topFailures": [{"errorType": "TimeoutError", "count": 3}],
    "proposals": [],
}
OUTGOING = Outgoing(
    job=DAILY,
    period_key="2026-11-26",
    summary="daily 2026-11-26: 1,000 events, 99.7% ok",
    markdown="# report\n",
    data=DATA,
    json_text=json.dumps(DATA),
    archive_hint=f"logs/ops-reports/{DAILY}/2026-11-26.md",
    comment_url="https://github.example/acme/proxy/issues/7#issuecomment-9",
)


def sink(receiver: FakeReceiver, retries: list | None = None, budget: float = 30) -> SlackSink:
    def record(wait: float, rate_limited: bool) -> None:
        if retries is not None:
            retries.append((wait, rate_limited))

    return SlackSink(receiver.url, max_retry_seconds=budget, locale="en", on_retry=record)


def test_a_result_is_posted_as_one_json_message(receiver, no_backoff):
    answer = sink(receiver).deliver(OUTGOING)
    (got,) = receiver.requests()
    assert got.method == "POST"
    assert got.path == receiver.secret_path
    assert got.headers["content-type"] == "application/json; charset=utf-8"
    assert got.headers["user-agent"].startswith("ops-schedule/")
    message = json.loads(got.body)
    assert (
        message["blocks"][0]["text"]["text"]
        == f":large_yellow_circle: WARNING · {DAILY} 2026-11-26"
    )
    assert "<https://github.example/acme/proxy/issues/7#issuecomment-9|" in got.body.decode()
    assert answer.url is None
    assert answer.created is True


@pytest.mark.parametrize("failure", [Reply(500), Reply(503), Reply(drop=True)])
def test_a_transient_failure_is_retried_and_posts_once(receiver, no_backoff, failure):
    retries: list = []
    receiver.reply(failure)
    sink(receiver, retries).deliver(OUTGOING)
    assert len(receiver.requests()) == 2
    assert len(retries) == 1
    assert retries[0][1] is False  # not a rate limit


def test_a_rate_limit_waits_what_slack_asks(receiver, no_backoff):
    retries: list = []
    receiver.reply(Reply(429, b"rate_limited", {"Retry-After": "7"}))
    sink(receiver, retries).deliver(OUTGOING)
    assert retries == [(7.0, True)]
    assert len(receiver.requests()) == 2


@pytest.mark.parametrize(
    ("status", "reason", "hint"),
    [
        (404, b"no_service", "the webhook URL is wrong or was revoked"),
        (410, b"channel_is_archived", "channel was archived"),
        (400, b"invalid_payload", "could not read the message"),
        (403, b"action_prohibited", "may not post to its channel"),
    ],
)
def test_a_refusal_is_permanent_says_why_and_never_shows_the_url(
    receiver, no_backoff, status, reason, hint
):
    receiver.reply(Reply(status, reason))
    with pytest.raises(SinkError) as caught:
        sink(receiver).deliver(OUTGOING)
    message = str(caught.value)
    assert caught.value.permanent
    assert reason.decode() in message
    assert hint in message
    assert receiver.secret_path not in message
    assert "127.0.0.1" not in message
    assert len(receiver.requests()) == 1


def test_a_redirect_is_not_followed(receiver, second_receiver, no_backoff):
    receiver.reply(Reply(301, b"", {"Location": second_receiver.url}))
    with pytest.raises(SinkError, match="redirect, which is not followed"):
        sink(receiver).deliver(OUTGOING)
    assert second_receiver.requests() == []


def test_a_huge_answer_is_read_only_up_to_a_bound(receiver, no_backoff):
    receiver.reply(Reply(200, huge=50 * MAX_ANSWER_BYTES))
    started = time.monotonic()
    sink(receiver).deliver(OUTGOING)
    assert time.monotonic() - started < 5


def test_an_answer_trickled_byte_by_byte_cannot_hold_the_post_past_its_budget(receiver):
    receiver.default = Reply(200, b"ok", drip=0.5)
    started = time.monotonic()
    with pytest.raises(SinkError, match="no complete answer from Slack within"):
        sink(receiver, budget=1.5).deliver(OUTGOING)
    assert time.monotonic() - started < 4


def test_an_unreachable_slack_fails_after_the_budget_without_the_url(no_backoff, caplog):
    url = "http://127.0.0.1:9/hook/" + "s3cr3t" * 4  # discard port: nothing listens
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SinkError) as caught:
        SlackSink(url, max_retry_seconds=30).deliver(OUTGOING)
    assert not caught.value.permanent
    assert "connection to Slack failed" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in caplog.text


def test_the_url_is_not_in_the_repr(receiver):
    assert receiver.secret_path not in repr(sink(receiver))
    assert "<secret>" in repr(sink(receiver))
