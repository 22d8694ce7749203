"""The generic webhook sink against a local receiver: the JSON contract, signed, idempotent."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import replace

import pytest
from fakereceiver import Reply

from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks.base import Outgoing
from ops_schedule.publishing.sinks.webhook import SIGNATURE_HEADER, WebhookSink

DIGEST = "weekly_improvement_digest"
DATA = {"job": DIGEST, "period": "2026-W48", "summary": {"totalIncidents": 4}, "note": "日本語"}
JSON_TEXT = json.dumps(DATA, ensure_ascii=False, indent=2) + "\n"
OUTGOING = Outgoing(
    job=DIGEST,
    period_key="2026-W48",
    summary="digest 2026-W48: 4 incidents",
    markdown="# digest\n",
    data=DATA,
    json_text=JSON_TEXT,
    archive_hint=f"logs/ops-reports/{DIGEST}/2026-W48.md",
    digest="ab" * 32,
)


@pytest.fixture
def signing_secret() -> str:
    return secrets.token_urlsafe(24)


def test_the_body_is_the_archived_json_contract_byte_for_byte(receiver, no_backoff):
    WebhookSink(receiver.url, secret=None, max_retry_seconds=30).deliver(OUTGOING)
    (got,) = receiver.requests()
    assert got.method == "POST"
    assert got.body == JSON_TEXT.encode()
    assert json.loads(got.body) == DATA
    assert got.headers["content-type"] == "application/json; charset=utf-8"
    assert got.headers["x-ops-schedule-job"] == DIGEST
    assert got.headers["x-ops-schedule-period"] == "2026-W48"
    assert SIGNATURE_HEADER.lower() not in got.headers  # unsigned without a secret


def test_with_a_secret_the_body_carries_an_hmac_sha256_signature(
    receiver, no_backoff, signing_secret
):
    WebhookSink(receiver.url, secret=signing_secret, max_retry_seconds=30).deliver(OUTGOING)
    (got,) = receiver.requests()
    # What a receiver does (docs/operations.md, "Webhook"): recompute and compare.
    expected = "sha256=" + hmac.new(signing_secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers[SIGNATURE_HEADER.lower()], expected)
    assert signing_secret not in json.dumps(got.headers)


def test_every_attempt_for_the_same_content_has_one_idempotency_key(receiver, no_backoff):
    receiver.reply(Reply(502), Reply(drop=True))
    WebhookSink(receiver.url, secret=None, max_retry_seconds=30).deliver(OUTGOING)
    keys = {got.headers["idempotency-key"] for got in receiver.requests()}
    assert len(receiver.requests()) == 3
    assert keys == {f"ops-schedule:{DIGEST}:2026-W48:{'ab' * 8}"}


def test_other_numbers_for_the_same_period_have_another_key(receiver, no_backoff):
    sink = WebhookSink(receiver.url, secret=None, max_retry_seconds=30)
    sink.deliver(OUTGOING)
    sink.deliver(replace(OUTGOING, digest="cd" * 32))
    first, second = (got.headers["idempotency-key"] for got in receiver.requests())
    assert first != second


def test_the_dashboard_comment_is_named_in_a_header(receiver, no_backoff):
    url = "https://github.example/acme/proxy/issues/7#issuecomment-3"
    WebhookSink(receiver.url, secret=None, max_retry_seconds=30).deliver(
        replace(OUTGOING, comment_url=url)
    )
    assert receiver.requests()[0].headers["x-ops-schedule-comment-url"] == url


def test_a_refusal_is_permanent_and_names_neither_url_nor_secret(
    receiver, no_backoff, signing_secret
):
    receiver.reply(Reply(422, b"schema mismatch: missing field"))
    with pytest.raises(SinkError) as caught:
        WebhookSink(receiver.url, secret=signing_secret, max_retry_seconds=30).deliver(OUTGOING)
    message = str(caught.value)
    assert caught.value.permanent
    assert "the webhook refused the report" in message
    assert "422 Unprocessable Entity: schema mismatch: missing field" in message
    assert receiver.secret_path not in message
    assert signing_secret not in message
    assert signing_secret not in repr(
        WebhookSink(receiver.url, secret=signing_secret, max_retry_seconds=1)
    )


def test_a_receiver_that_keeps_failing_gives_up_within_the_budget(receiver, no_backoff):
    receiver.default = Reply(503)
    with pytest.raises(SinkError, match="the webhook still failing after") as caught:
        WebhookSink(receiver.url, secret=None, max_retry_seconds=30).deliver(OUTGOING)
    assert not caught.value.permanent
    assert 1 < len(receiver.requests()) <= 12
