"""Metrics of batch runs: ``run`` writes node_exporter's textfile and pushes to a Pushgateway
(a local fake, and the real prometheus-pushgateway when it is installed); counters add up across
runs; nothing about metrics can fail a run."""

from __future__ import annotations

import functools
import json
import shutil
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fakereceiver import Reply
from prometheus_client.parser import text_string_to_metric_families
from runner_fakes import DAILY, INSTANT, ScriptedJob, jobs_of, raw_config

from ops_schedule.cli import main as cli
from ops_schedule.cli.commands import run as run_command
from ops_schedule.publishing.telemetry import Telemetry
from ops_schedule.scheduling import runner as runner_module
from ops_schedule.scheduling.runner import Runner
from ops_schedule.service.metrics_state import CountsFile

# cli.main switches the process-wide redactor and logging; put them back.
pytestmark = pytest.mark.usefixtures("clean_process_state")

NOW = (INSTANT + timedelta(minutes=5)).astimezone(UTC)  # 2026-11-26 09:05 in Tokyo


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def run(tmp_path: Path, monkeypatch, capsys, metrics: dict, *args: str, now=NOW):
    document = {**raw_config(tmp_path), "metrics": metrics}
    config = tmp_path / "ops.json"
    config.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(run_command, "utc_now", lambda: now)
    monkeypatch.setattr(runner_module, "Runner", functools.partial(Runner, clock=lambda: now))
    with pytest.raises(SystemExit) as exited:
        cli.main(["--config", str(config), "run", *args], jobs=jobs_of(ScriptedJob(DAILY)))
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def test_run_writes_the_textfile_and_its_counters_add_up_across_runs(tmp_path, monkeypatch, capsys):
    textfile = tmp_path / "textfile" / "ops_schedule.prom"
    metrics = {"textfile": str(textfile)}
    assert run(tmp_path, monkeypatch, capsys, metrics)[0] == 0
    first = samples(textfile.read_text())
    assert first["ops_schedule_runs_total", (("job_name", DAILY), ("outcome", "ok"))] == 1
    assert first["ops_schedule_last_tick_timestamp_seconds", ()] == NOW.timestamp()
    daily = (("job_name", DAILY),)
    assert first["ops_schedule_last_success_timestamp_seconds", daily] == NOW.timestamp()
    assert ("ops_schedule_last_run_duration_seconds", daily) in first
    later = NOW + timedelta(minutes=1)
    assert run(tmp_path, monkeypatch, capsys, metrics, "--now", "--force", now=later)[0] == 0
    second = samples(textfile.read_text())
    assert second["ops_schedule_runs_total", (("job_name", DAILY), ("outcome", "ok"))] == 2
    assert second["ops_schedule_last_tick_timestamp_seconds", ()] == later.timestamp()
    assert list(textfile.parent.iterdir()) == [textfile]  # renamed into place, no leftovers


def test_run_with_nothing_due_still_says_when_it_last_ticked(tmp_path, monkeypatch, capsys):
    textfile = tmp_path / "ops_schedule.prom"
    earlier = NOW - timedelta(hours=2)
    assert run(tmp_path, monkeypatch, capsys, {"textfile": str(textfile)}, now=earlier)[:2] == (
        0,
        "nothing due\n",
    )
    got = samples(textfile.read_text())
    assert got["ops_schedule_last_tick_timestamp_seconds", ()] == earlier.timestamp()
    assert got["ops_schedule_runs_total", (("job_name", DAILY), ("outcome", "ok"))] == 0


def test_a_textfile_that_cannot_be_written_never_fails_the_run(tmp_path, monkeypatch, capsys):
    textfile = tmp_path / "ops_schedule.prom"
    textfile.mkdir()  # a directory where the file should be
    code, out, err = run(tmp_path, monkeypatch, capsys, {"textfile": str(textfile)})
    assert code == 0
    assert f"{DAILY} 2026-11-26: OK" in out
    assert f"cannot write the metrics to {textfile}" in err


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_textfile(tmp_path, monkeypatch, capsys):
    textfile = tmp_path / "ops_schedule.prom"
    run(tmp_path, monkeypatch, capsys, {"textfile": str(textfile)})
    checked = subprocess.run(
        ["promtool", "check", "metrics"],
        input=textfile.read_text(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --------------------------------------------------------------------------- the Pushgateway


def test_run_pushes_the_families_to_its_group(tmp_path, monkeypatch, capsys, receiver):
    monkeypatch.setenv("OPS_SCHEDULE_PUSHGATEWAY_URL", receiver.url)  # the variable wins
    metrics = {"pushgateway": {"url": "http://127.0.0.1:9/unused", "instance": "host-a"}}
    assert run(tmp_path, monkeypatch, capsys, metrics)[0] == 0
    (got,) = receiver.requests()
    assert got.method == "PUT"
    assert got.path == f"{receiver.secret_path}/metrics/job/ops_schedule/instance/host-a"
    assert got.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    pushed = samples(got.body.decode())
    assert pushed["ops_schedule_runs_total", (("job_name", DAILY), ("outcome", "ok"))] == 1


@pytest.mark.parametrize("reply", [Reply(500), Reply(drop=True), Reply(200, delay=3)])
def test_a_failed_push_is_a_warning_without_the_url(tmp_path, monkeypatch, capsys, receiver, reply):
    receiver.reply(reply)
    metrics = {"pushgateway": {"url": receiver.url, "timeoutSeconds": 1}}
    started = time.monotonic()
    code, _, err = run(tmp_path, monkeypatch, capsys, metrics)
    assert code == 0
    assert time.monotonic() - started < 10
    assert "metrics not pushed:" in err
    assert receiver.secret_path not in err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def pushgateway(tmp_path):
    """The real prometheus-pushgateway on 127.0.0.1, when it is installed."""
    binary = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    if binary is None:
        pytest.skip("prometheus-pushgateway is not installed (the fake receiver covers pushing)")
    port = free_port()
    process = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the Pushgateway did not become ready within 20 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_the_real_pushgateway_takes_the_pushes_of_two_runs(
    tmp_path, monkeypatch, capsys, pushgateway
):
    metrics = {"pushgateway": {"url": pushgateway, "instance": "host-a"}}
    assert run(tmp_path, monkeypatch, capsys, metrics)[0] == 0
    later = NOW + timedelta(minutes=1)
    assert run(tmp_path, monkeypatch, capsys, metrics, "--now", "--force", now=later)[0] == 0
    scraped = samples(httpx.get(f"{pushgateway}/metrics", timeout=5).text)
    group = (("instance", "host-a"), ("job", "ops_schedule"))
    ok = (*group, ("job_name", DAILY), ("outcome", "ok"))
    assert scraped["ops_schedule_runs_total", ok] == 2  # counted across both runs
    assert scraped["ops_schedule_last_tick_timestamp_seconds", group] == later.timestamp()
    assert any(name == "push_time_seconds" for name, _ in scraped)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- the counts file


def test_runs_adding_at_once_lose_no_count(tmp_path):
    class Outcome:
        job, status, finished_at, telemetry = DAILY, "ok", NOW, Telemetry()

    def add(times: int) -> None:
        counts = CountsFile(tmp_path)
        for _ in range(times):
            counts.add([Outcome()])

    threads = [threading.Thread(target=add, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CountsFile(tmp_path).read().runs[DAILY, "ok"] == 100


def test_an_unreadable_counts_file_starts_again_from_zero(tmp_path, caplog):
    (tmp_path / "metrics.json").write_bytes(b"\x00garbage")
    assert CountsFile(tmp_path).read().runs == {}
    assert "unreadable" in caplog.text
    assert datetime.now(UTC)  # the file is rewritten on the next add


# --------------------------------------------------------------------------- the loop


def test_the_loop_writes_the_textfile_after_each_tick_and_keeps_counting_in_the_state_dir(
    tmp_path,
):
    from ops_schedule.config import parse_config
    from ops_schedule.service.loop import default_runtime, run_loop

    textfile = tmp_path / "ops_schedule.prom"
    config = parse_config({**raw_config(tmp_path), "metrics": {"textfile": str(textfile)}}, {})
    run_loop(
        lambda: config,
        clock=lambda: NOW,
        stop=threading.Event(),
        runtime=default_runtime(lambda: NOW, jobs_of(ScriptedJob(DAILY))),
        waiter=lambda _timeout: False,
        max_ticks=2,
        environ={},
    )
    got = samples(textfile.read_text())
    assert got["ops_schedule_runs_total", (("job_name", DAILY), ("outcome", "ok"))] == 1
    assert got["ops_schedule_last_tick_timestamp_seconds", ()] == NOW.timestamp()
    # The counts live beside the state, where a manual `run` adds to them too.
    assert CountsFile(config.state_dir).read().runs[DAILY, "ok"] == 1
