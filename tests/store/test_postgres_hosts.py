"""Several hosts, one schedule: real processes sharing one PostgreSQL schema and one fake GitHub.

Each host is a directory of its own (config, stateDir, archive) whose processes run the real
CLI with jobs that take as long as the test says (tests/support/hostjobs.py). Claims live
``LEASE`` = 2 s, so takeovers happen within a test.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from fakegithub import FakeGitHub
from hosts import (
    DAILY,
    LEASE,
    CuttableProxy,
    Host,
    make_hosts,
    periods,
    scheduled_instant,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def hosts_factory(
    tmp_path: Path, postgres_url: str, fake_github: FakeGitHub, github_token: str
) -> Iterator[object]:
    made: list[Host] = []

    def make(count: int, store_url: str | None = None) -> list[Host]:
        hosts = make_hosts(
            tmp_path,
            count,
            store_url=store_url or postgres_url,
            github_url=fake_github.url,
            token=github_token,
        )
        made.extend(hosts)
        return hosts

    yield make
    for host in made:
        host.stop_all()


def history(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT job, period, status FROM ops_schedule_runs ORDER BY id"
        ).fetchall()
    return [(str(j), str(p), str(s)) for j, p, s in rows]


def claim_expired(url: str, job: str) -> bool:
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT expires_at <= now() FROM ops_schedule_claims WHERE job = %s", [job]
        ).fetchone()
    return bool(row and row[0])


def posts(fake: FakeGitHub) -> int:
    return sum(1 for seen in fake.requests if seen.method == "POST")


def settle(hosts: list[Host], url: str, expected: dict[str, str]) -> None:
    """Run every job by hand until each period is recorded as done (claims of killed processes
    run out after the lease)."""
    deadline = time.monotonic() + 60
    while True:
        done = {(job, period) for job, period, status in history(url) if status == "ok"}
        if all((job, period) in done for job, period in expected.items()):
            return
        assert time.monotonic() < deadline, f"not settled: {done}"
        hosts[0].run("run", "--now")
        time.sleep(0.2)


# --------------------------------------------------------------------------- many hosts


def test_twenty_runs_on_four_hosts_with_some_killed_record_and_post_each_job_once(
    hosts_factory, postgres_url: str, fake_github: FakeGitHub
):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    hosts = hosts_factory(4)
    expected = periods(scheduled_instant())
    processes = []
    for number in range(20):
        mode = ("run",) if number % 2 == 0 else ("run", "--now")
        host = hosts[number % 4]
        processes.append(host.start(*mode, job_seconds=f"{rng.uniform(0.1, 1.2):.2f}"))
        time.sleep(rng.uniform(0, 0.15))
    killed = rng.sample(processes, 6)
    for process in killed:
        time.sleep(rng.uniform(0, 0.5))
        process.kill()
    for process in processes:
        process.communicate(timeout=120)

    settle(hosts, postgres_url, expected)

    codes = Counter(process.returncode for process in processes)
    assert set(codes) <= {0, 1, -signal.SIGKILL}, (seed, codes)
    assert codes[-signal.SIGKILL] >= 1, seed  # some were killed while still running
    for job, period in expected.items():
        assert len(fake_github.with_marker(job, period)) == 1, (seed, job)
    assert len(fake_github.comments) == 3, seed
    recorded_ok = Counter(
        (job, period) for job, period, status in history(postgres_url) if status == "ok"
    )
    assert recorded_ok == dict.fromkeys(expected.items(), 1), seed


# --------------------------------------------------------------------------- takeovers


def test_a_holder_killed_mid_run_is_taken_over_once_its_lease_runs_out(
    hosts_factory, postgres_url: str, fake_github: FakeGitHub
):
    first, second = hosts_factory(2)
    period = periods(scheduled_instant())[DAILY]
    holder = first.start("run", "--now", DAILY, job_seconds="wait")
    wait_until(lambda: first.file(f"started-{DAILY}").exists(), "the job to start")
    pid = int(first.file(f"started-{DAILY}").read_text())

    code, out, _ = second.run("run", "--now", DAILY)
    assert code == 0
    assert out.startswith(
        f"{DAILY} {period}: not run: another ops-schedule process is running it: process {pid} on "
    )
    assert "; its lease runs until " in out

    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=10)
    killed_at = time.monotonic()
    while True:
        code, out, _ = second.run("run", "--now", DAILY)
        if ": OK" in out:
            break
        assert time.monotonic() - killed_at < 4 * LEASE + 10, out
    takeover = time.monotonic() - killed_at

    assert takeover < 2 * LEASE + 5  # at most a lease, plus starting the processes
    assert [(job, status) for job, _, status in history(postgres_url)] == [
        (DAILY, "fail"),  # the killed attempt, recorded by the process that took over
        (DAILY, "ok"),
    ]
    assert len(fake_github.with_marker(DAILY, period)) == 1


def test_a_holder_stopped_past_its_lease_neither_records_nor_posts_after_it_resumes(
    hosts_factory, postgres_url: str, fake_github: FakeGitHub
):
    first, second = hosts_factory(2)
    period = periods(scheduled_instant())[DAILY]
    paused = first.start("run", "--now", DAILY, job_seconds="wait")
    wait_until(lambda: first.file(f"started-{DAILY}").exists(), "the job to start")
    paused.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: claim_expired(postgres_url, DAILY), "the lease to run out", 10)
        code, out, _ = second.run("run", "--now", DAILY)
        assert (code, out.splitlines()[0]) == (0, f"{DAILY} {period}: OK")
        first.file("release").write_text("", encoding="utf-8")
    finally:
        paused.send_signal(signal.SIGCONT)
    out, err = paused.communicate(timeout=30)

    assert paused.returncode == 1, err
    assert out.splitlines()[0] == f"{DAILY} {period}: FAIL"
    assert "lost the claim on daily_observability_report" in out
    assert "neither posted nor recorded" in out
    assert "Traceback" not in err
    assert posts(fake_github) == 1  # the second host's comment; none from the stopped one
    assert len(fake_github.with_marker(DAILY, period)) == 1
    assert [(job, status) for job, _, status in history(postgres_url)] == [
        (DAILY, "fail"),  # the stopped attempt, recorded as interrupted by the second host
        (DAILY, "ok"),
    ]


def test_a_connection_cut_mid_run_fails_the_run_cleanly_and_the_retry_succeeds(
    hosts_factory, postgres_url: str, fake_github: FakeGitHub
):
    server = urlsplit(postgres_url)
    proxy = CuttableProxy((server.hostname or "127.0.0.1", server.port or 5432))
    try:
        proxied = f"{server.username}@127.0.0.1:{proxy.port}"
        through_proxy = postgres_url.replace(server.netloc, proxied, 1)
        [host] = hosts_factory(1, through_proxy)
        period = periods(scheduled_instant())[DAILY]
        run = host.start("run", "--now", DAILY, job_seconds="wait")
        wait_until(lambda: host.file(f"started-{DAILY}").exists(), "the job to start")
        proxy.cut()
        host.file("release").write_text("", encoding="utf-8")
        out, err = run.communicate(timeout=60)

        assert run.returncode == 1, err
        status, error = out.splitlines()[:2]
        assert status == f"{DAILY} {period}: FAIL"
        assert error.startswith(
            f"  error: cannot reach the state store at postgresql://postgres@127.0.0.1:{proxy.port}/"
        )
        assert "Traceback" not in err
        assert posts(fake_github) == 0
        host.file(f"started-{DAILY}").unlink()

        proxy.restore()
        deadline = time.monotonic() + 4 * LEASE + 20
        while True:
            _, out, err = host.run("run", "--now", DAILY)
            if out.startswith(f"{DAILY} {period}: OK"):
                break
            assert "not run: another ops-schedule process" in out, (out, err)
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        proxy.close()

    assert len(fake_github.with_marker(DAILY, period)) == 1
    assert [(job, status) for job, _, status in history(postgres_url)] == [
        (DAILY, "fail"),  # the cut attempt, recorded as interrupted by the retry
        (DAILY, "ok"),
    ]
