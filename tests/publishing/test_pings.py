"""Dead-man's-switch pings: the three services' conventions, and a ping never failing a run."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from fakereceiver import Reply

from ops_schedule.publishing.pings import Pinger, backoff, ping_request
from ops_schedule.publishing.telemetry import PingReport, Recorder

RUN = "6f1c2a9e-51f5-4c39-9d1d-3d8f4b0a2c11"
HC = "https://hc-ping.example/5c1b0c8e-0c3e-4f5e-9d0a-0f6a1d2b3c4d"


# --------------------------------------------------------------------------- the conventions


def test_healthchecks_start_success_and_failure_follow_its_url_suffixes():
    start = ping_request("healthchecks", HC, "start", run_id=RUN)
    ok = ping_request("healthchecks", HC, "success", text="daily: fine", run_id=RUN, duration=2)
    failed = ping_request("healthchecks", HC, "failure", text="daily: boom", run_id=RUN)
    assert start is not None
    assert ok is not None
    assert failed is not None
    assert (start.method, start.url, start.body) == ("POST", f"{HC}/start?rid={RUN}", None)
    assert (ok.method, ok.url, ok.body) == ("POST", f"{HC}/0?rid={RUN}", b"daily: fine")
    assert (failed.url, failed.body) == (f"{HC}/fail?rid={RUN}", b"daily: boom")


def test_a_healthchecks_slug_url_keeps_its_own_query():
    url = "https://hc-ping.example/ping-key/daily-report?create=1"
    request = ping_request("healthchecks", url, "start", run_id=RUN)
    assert request is not None
    assert request.url == f"https://hc-ping.example/ping-key/daily-report/start?create=1&rid={RUN}"


def test_cronitor_gets_run_complete_and_fail_with_the_message_and_duration():
    url = "https://cronitor.example/p/api-key/daily-report"
    start = ping_request("cronitor", url, "start", run_id=RUN)
    done = ping_request("cronitor", url, "success", text="a b&c", run_id=RUN, duration=1.5)
    failed = ping_request("cronitor", url, "failure", text="x" * 5000, run_id=RUN)
    assert start is not None
    assert done is not None
    assert failed is not None
    assert start.url == f"{url}?state=run&series={RUN}"
    assert start.method == "GET"
    assert done.url == f"{url}?state=complete&series={RUN}&message=a+b%26c&metric=duration%3A1.500"
    assert failed.url.startswith(f"{url}?state=fail&series={RUN}&message=xxx")
    message = parse_qs(urlsplit(failed.url).query)["message"][0]
    assert message == "x" * 2000  # Cronitor keeps 2,000 characters of a message


def test_uptime_kuma_has_no_start_and_replaces_the_query_of_a_copied_push_url():
    url = "https://kuma.example/api/push/pushtoken?status=up&msg=OK&ping="
    assert ping_request("uptime-kuma", url, "start", run_id=RUN) is None
    up = ping_request("uptime-kuma", url, "success", text="fine", run_id=RUN, duration=1.234)
    down = ping_request("uptime-kuma", url, "failure", text="boom", run_id=RUN, duration=0.5)
    assert up is not None
    assert down is not None
    assert up.url == "https://kuma.example/api/push/pushtoken?status=up&msg=fine&ping=1234"
    assert down.url == "https://kuma.example/api/push/pushtoken?status=down&msg=boom&ping=500"


def test_retries_back_off_one_two_four_seconds():
    assert [backoff(n) for n in (1, 2, 3)] == [1, 2, 4]


# --------------------------------------------------------------------------- against a receiver


def pinger(url: str, recorder: Recorder, sleeps: list[float], **kw) -> Pinger:
    return Pinger(
        kw.pop("service", "healthchecks"),
        url,
        job="daily_observability_report",
        period_key="2026-11-26",
        timeout=kw.pop("timeout", 2.0),
        retries=kw.pop("retries", 2),
        recorder=recorder,
        sleep=sleeps.append,
    )


def test_a_run_is_pinged_at_start_and_at_its_end_with_the_summary(receiver):
    recorder, sleeps = Recorder(), []
    ping = pinger(receiver.url, recorder, sleeps)
    ping.start()
    ping.finish(ok=True, text="daily_observability_report 2026-11-26: fine", duration=3)
    start, end = receiver.requests()
    assert start.path == f"{receiver.secret_path}/start"
    assert end.path == f"{receiver.secret_path}/0"
    assert end.body == b"daily_observability_report 2026-11-26: fine"
    assert start.query["rid"] == end.query["rid"] == ping.run_id
    assert recorder.freeze().pings == (PingReport("start", True), PingReport("success", True))
    assert sleeps == []


def test_a_failed_ping_is_retried_a_few_times_then_given_up_without_raising(receiver, caplog):
    recorder, sleeps = Recorder(), []
    receiver.default = Reply(503)
    caplog.set_level(logging.WARNING)
    pinger(receiver.url, recorder, sleeps, retries=2).finish(ok=False, text="boom", duration=1)
    assert len(receiver.requests()) == 3
    assert sleeps == [1, 2]
    assert recorder.freeze().pings == (PingReport("failure", False),)
    assert "the failure ping to healthchecks failed (answered 503); the run goes on" in caplog.text
    assert receiver.secret_path not in caplog.text


def test_a_ping_the_service_refuses_is_not_retried(receiver):
    recorder, sleeps = Recorder(), []
    receiver.reply(Reply(404, b"not found"))
    pinger(receiver.url, recorder, sleeps).start()
    assert len(receiver.requests()) == 1
    assert recorder.freeze().pings == (PingReport("start", False),)


def test_a_silent_ping_service_costs_at_most_the_timeout_per_attempt(receiver):
    recorder, sleeps = Recorder(), []
    receiver.default = Reply(200, drip=0.4)
    started = time.monotonic()
    pinger(receiver.url, recorder, sleeps, timeout=0.5, retries=1).start()
    assert time.monotonic() - started < 3
    assert recorder.freeze().pings == (PingReport("start", False),)


def test_an_unreachable_ping_service_never_raises(caplog):
    recorder = Recorder()
    url = "http://127.0.0.1:9/" + "t0ken" * 6
    caplog.set_level(logging.DEBUG)
    pinger(url, recorder, [], retries=0).finish(ok=True, text="fine", duration=1)
    assert recorder.freeze().pings == (PingReport("success", False),)
    assert "t0ken" not in caplog.text


@pytest.mark.parametrize("service", ["cronitor", "uptime-kuma"])
def test_the_other_services_are_told_with_a_get(receiver, service):
    recorder = Recorder()
    pinger(receiver.url, recorder, [], service=service).finish(ok=True, text="ok", duration=2)
    (got,) = receiver.requests()
    assert got.method == "GET"
    assert got.path == receiver.secret_path
    assert ("state" if service == "cronitor" else "status") in got.query
