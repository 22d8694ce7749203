"""Handing one result to several sinks: order, the comment link, failures, the delivery ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import pytest

from ops_schedule.errors import SinkError
from ops_schedule.publishing.ledger import KEEP_PERIODS, DeliveryLedger
from ops_schedule.publishing.publish import deliver
from ops_schedule.publishing.sinks.base import Delivered, Outgoing
from ops_schedule.publishing.telemetry import Recorder, SinkReport

DAILY = "daily_observability_report"
OUTGOING = Outgoing(
    job=DAILY, period_key="2026-11-26", summary="fine", markdown="# r\n", digest="d1" * 32
)
COMMENT = "https://github.example/acme/proxy/issues/7#issuecomment-5"


@dataclass
class FakeSink:
    name: str
    idempotent: bool = False
    url: str | None = None
    fail: SinkError | None = None
    got: list[Outgoing] = field(default_factory=list)

    def deliver(self, outgoing: Outgoing) -> Delivered:
        self.got.append(outgoing)
        if self.fail is not None:
            raise self.fail
        return Delivered(self.url, created=True)


def test_every_sink_gets_the_result_in_order_and_later_ones_get_the_comment_link(tmp_path):
    github = FakeSink("github", idempotent=True, url=COMMENT)
    slack, webhook = FakeSink("slack"), FakeSink("webhook")
    delivery = deliver(OUTGOING, [github, slack, webhook], ledger=DeliveryLedger(tmp_path, DAILY))
    assert delivery.comment_url == COMMENT
    assert github.got == [OUTGOING]
    assert slack.got == [replace(OUTGOING, comment_url=COMMENT)]
    assert webhook.got == [replace(OUTGOING, comment_url=COMMENT)]


def test_a_failing_sink_does_not_keep_the_others_from_their_delivery(tmp_path):
    github = FakeSink("github", idempotent=True, fail=SinkError("GitHub: 502", permanent=False))
    slack = FakeSink("slack", fail=SinkError("Slack refused: no_service", permanent=True))
    webhook = FakeSink("webhook")
    recorder = Recorder()
    with pytest.raises(SinkError) as caught:
        deliver(OUTGOING, [github, slack, webhook], recorder=recorder)
    assert str(caught.value) == "GitHub: 502; Slack refused: no_service"
    assert not caught.value.permanent  # one of them is worth retrying
    assert webhook.got == [OUTGOING]  # without a link: GitHub had none to give
    assert recorder.freeze().sinks == (
        SinkReport("github", "failed"),
        SinkReport("slack", "failed"),
        SinkReport("webhook", "posted"),
    )


def test_a_retried_run_does_not_post_twice_where_the_receiver_cannot_tell(tmp_path):
    ledger = DeliveryLedger(tmp_path, DAILY)
    github = FakeSink("github", idempotent=True, fail=SinkError("GitHub: 503", permanent=False))
    slack = FakeSink("slack")
    with pytest.raises(SinkError):
        deliver(OUTGOING, [github, slack], ledger=ledger)
    github.fail = None
    recorder = Recorder()
    deliver(OUTGOING, [github, slack], ledger=ledger, recorder=recorder)
    assert len(slack.got) == 1  # not again
    assert len(github.got) == 2  # GitHub finds its own marker: always asked
    assert recorder.freeze().sinks == (
        SinkReport("github", "posted"),
        SinkReport("slack", "reused"),
    )


def test_a_rerun_with_other_numbers_is_delivered_again(tmp_path):
    ledger = DeliveryLedger(tmp_path, DAILY)
    slack = FakeSink("slack")
    deliver(OUTGOING, [slack], ledger=ledger)
    deliver(replace(OUTGOING, digest="e2" * 32), [slack], ledger=ledger)
    deliver(replace(OUTGOING, period_key="2026-11-27"), [slack], ledger=ledger)
    assert len(slack.got) == 3


def test_the_ledger_keeps_the_newest_periods_only(tmp_path):
    ledger = DeliveryLedger(tmp_path, DAILY)
    keys = [f"2026-W{week:02d}" for week in range(1, KEEP_PERIODS + 11)]
    for key in keys:
        ledger.add(key, "slack", "x")
    assert not ledger.has(keys[9], "slack", "x")
    assert all(ledger.has(key, "slack", "x") for key in keys[10:])


@pytest.mark.parametrize("content", [b"{not json", b'{"periods": 3}', b"\xff" * 10, b"[]"])
def test_an_unreadable_ledger_counts_as_empty_with_a_warning(tmp_path, caplog, content):
    ledger = DeliveryLedger(tmp_path, DAILY)
    ledger.path.parent.mkdir(parents=True)
    ledger.path.write_bytes(content)
    caplog.set_level(logging.WARNING)
    slack = FakeSink("slack")
    deliver(OUTGOING, [slack], ledger=ledger)
    assert len(slack.got) == 1
    assert "unreadable" in caplog.text
    assert ledger.has(OUTGOING.period_key, "slack", OUTGOING.digest)  # written afresh


def test_a_ledger_that_cannot_be_written_still_counts_the_delivery(tmp_path, caplog):
    (tmp_path / "deliveries").write_text("a file where the directory should be")
    slack = FakeSink("slack")
    caplog.set_level(logging.WARNING)
    delivery = deliver(OUTGOING, [slack], ledger=DeliveryLedger(tmp_path, DAILY))
    assert "slack" in delivery.delivered
    assert "cannot record the delivery to slack" in caplog.text
