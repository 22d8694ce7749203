"""The state stores' benchmark cases (run by bench.py; targets in docs/performance.md).

  f  one tick's claim of one job (take, read the record, release), median ms:
       the file store; PostgreSQL on the kept connection of ``loop``; PostgreSQL with the
       connection ``run`` opens for its tick
  g  100 runners polling one database: each opens a connection per tick (as ``run`` from cron)
     and claims the three jobs, once a second, for ``--poll-seconds``; tick latency, ticks/s,
     the most connections open at once, and that no job was ever held by two
  h  takeover after a holder is killed with SIGKILL mid-run: seconds until another process
     holds the claim, with a lease of 2 s and of 6 s

PostgreSQL: ``$OPS_SCHEDULE_TEST_POSTGRES_URL`` (default postgresql://postgres@127.0.0.1:5432/test);
each case works in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

SERVER = os.environ.get("OPS_SCHEDULE_TEST_POSTGRES_URL") or (
    "postgresql://postgres@127.0.0.1:5432/test"
)
JOBS = ("daily_observability_report", "weekly_observability_report", "weekly_improvement_digest")


@contextlib.contextmanager
def scratch_schema() -> Iterator[str]:
    """A URL whose connections work in a fresh schema, dropped afterwards."""
    import psycopg

    schema = f"ops_bench_{secrets.token_hex(4)}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in SERVER else "?"
    try:
        yield f"{SERVER}{joiner}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _pg(url: str, lease: float = 120) -> Any:
    from ops_schedule.store.postgres.store import PostgresStore
    from ops_schedule.store.url import parse_store_url

    return PostgresStore(parse_store_url(url), lease_seconds=lease)


def _claim_once(store: Any, now: datetime) -> bool:
    from ops_schedule.store.base import Busy

    with store.claim(JOBS[0], now) as claim:
        return not isinstance(claim, Busy)


def _seed_records(store: Any, now: datetime) -> None:
    """Every job with a record such as a year of runs leaves."""
    from ops_schedule.store.records import JobRecord

    for job in JOBS:
        with store.claim(job, now) as claim:
            record = JobRecord(
                job, last_run_at=now, last_status="ok", run_count=365, last_period="2026-11-26",
                done_periods=tuple(f"2026-11-{day:02d}" for day in range(19, 27)),
                last_summary="x" * 200, last_archive="logs/ops-reports/x.md",
            )  # fmt: skip
            claim.save(record, now)


def _median_ms(action: Callable[[], object], rounds: int) -> dict[str, float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "medianMs": statistics.median(timings),
        "p95Ms": timings[int(0.95 * (len(timings) - 1))],
        "rounds": rounds,
    }


def case_claim_cost(rounds: int) -> dict[str, Any]:
    from ops_schedule.store.file import JsonStateStore

    now = datetime.now(UTC)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        store = JsonStateStore(Path(scratch))
        _seed_records(store, now)
        results["file"] = _median_ms(lambda: _claim_once(store, now), rounds)
    with scratch_schema() as url:
        kept = _pg(url)
        try:
            _seed_records(kept, now)  # connects, creates the tables, writes a year's records
            results["postgresqlKept"] = _median_ms(lambda: _claim_once(kept, now), rounds)
        finally:
            kept.close()

        def per_tick() -> None:
            store = _pg(url)
            try:
                _claim_once(store, now)
            finally:
                store.close()

        results["postgresqlPerTick"] = _median_ms(per_tick, rounds)
    return results


# --------------------------------------------------------------------------- g: many runners


def _runners(url: str, count: int, seconds: float, queue: Any) -> None:
    """``count`` runners in threads of this process: poll once a second, one connection per
    tick; report (latencies, claims taken as (job, token), busy count)."""
    from ops_schedule.store.base import Busy

    latencies: list[float] = []
    taken: list[tuple[str, int]] = []
    busy = errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def runner() -> None:
        nonlocal busy, errors
        rng = random.Random()
        time.sleep(rng.uniform(0, 1))
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            store = _pg(url)
            try:
                for job in JOBS:
                    with store.claim(job, datetime.now(UTC)) as claim, lock:
                        if isinstance(claim, Busy):
                            busy += 1
                        else:
                            taken.append((job, claim.token))
            except Exception:  # noqa: BLE001 - counted; the benchmark reports them
                with lock:
                    errors += 1
            finally:
                store.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed * 1000)
            time.sleep(max(0.0, 1.0 - elapsed))

    threads = [threading.Thread(target=runner) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((latencies, taken, busy, errors))


def case_many_runners(runners: int, seconds: float) -> dict[str, Any]:
    import psycopg

    processes_count = 4
    context = multiprocessing.get_context("spawn")
    with scratch_schema() as url:
        store = _pg(url)
        store.check()  # the tables exist before the runners start
        store.close()
        queue = context.Queue()
        workers = [
            context.Process(target=_runners, args=(url, runners // processes_count, seconds, queue))
            for _ in range(processes_count)
        ]
        for worker in workers:
            worker.start()
        peak = 0
        deadline = time.monotonic() + seconds
        with psycopg.connect(SERVER, autocommit=True) as admin:
            while time.monotonic() < deadline:
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ops-schedule'"
                ).fetchone()
                peak = max(peak, int(row[0]) if row else 0)
                time.sleep(0.05)
        results = [queue.get(timeout=seconds + 60) for _ in workers]
        for worker in workers:
            worker.join()
    latencies = sorted(x for r in results for x in r[0])
    taken = [x for r in results for x in r[1]]
    return {
        "runners": runners,
        "seconds": seconds,
        "ticks": len(latencies),
        "ticksPerSecond": len(latencies) / seconds,
        "medianMs": statistics.median(latencies) if latencies else None,
        "p95Ms": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "claimsTaken": len(taken),
        "busy": sum(r[2] for r in results),
        "errors": sum(r[3] for r in results),
        "duplicateTokens": len(taken) - len(set(taken)),  # two holders of one claim
        "peakConnections": peak,
    }


# --------------------------------------------------------------------------- h: takeover

_HOLDER = """
import sys, time
from datetime import UTC, datetime
from ops_schedule.store.postgres.store import PostgresStore
from ops_schedule.store.url import parse_store_url
store = PostgresStore(parse_store_url(sys.argv[1]), lease_seconds=float(sys.argv[2]))
with store.claim("daily_observability_report", datetime.now(UTC)) as claim:
    print("held", flush=True)
    time.sleep(600)
"""


def case_takeover(leases: tuple[float, ...], trials: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with scratch_schema() as url:
        poller = _pg(url)
        try:
            for lease in leases:
                times = []
                for _ in range(trials):
                    holder = subprocess.Popen(
                        [sys.executable, "-c", _HOLDER, url, str(lease)],
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                    assert holder.stdout is not None
                    assert holder.stdout.readline().strip() == "held"
                    time.sleep(lease * random.uniform(0.5, 1.5))  # renewed meanwhile
                    holder.send_signal(signal.SIGKILL)
                    holder.wait()
                    killed = time.monotonic()
                    while not _claim_once(poller, datetime.now(UTC)):
                        time.sleep(0.02)
                    times.append(time.monotonic() - killed)
                    holder.stdout.close()
                results[f"{lease:g}"] = {
                    "leaseSeconds": lease,
                    "medianSeconds": statistics.median(times),
                    "maxSeconds": max(times),
                    "trials": times,
                }
        finally:
            poller.close()
    return results


def rows(results: dict[str, Any]) -> list[list[str]]:
    """Rows for bench.py's table: case, what, …, wall, …, target, met."""
    out = []

    def row(case: str, what: str, value: str, target: str, met: bool | None) -> None:
        cells = [case, what, "", "", value, "", "", "", "", target, ""]
        cells[-1] = "" if met is None else ("yes" if met else "NO")
        out.append(cells)

    if "f" in results:
        for key, what, limit in (
            ("file", "file store", 5),
            ("postgresqlKept", "PostgreSQL, kept connection (loop)", 10),
            ("postgresqlPerTick", "PostgreSQL, connection per tick (run)", 50),
        ):
            median = results["f"][key]["medianMs"]
            row("f", f"tick claim, {what}", f"{median:.2f} ms", f"≤ {limit} ms", median <= limit)
    if "g" in results:
        g = results["g"]
        ok = g["duplicateTokens"] == 0 and g["errors"] == 0 and (g["p95Ms"] or 0) <= 1000
        value = (
            f"{g['medianMs']:.0f} ms (p95 {g['p95Ms']:.0f}), {g['ticksPerSecond']:.0f} ticks/s, "
            f"≤ {g['peakConnections']} conn."
        )
        what = f"{g['runners']} runners polling, 1/s each"
        row("g", what, value, "no double holder, no error, p95 ≤ 1 s", ok)
    if "h" in results:
        for key, h in results["h"].items():
            value = f"{h['medianSeconds']:.2f} s (max {h['maxSeconds']:.2f})"
            met = h["maxSeconds"] <= h["leaseSeconds"] + 0.5
            row("h", f"takeover after SIGKILL, lease {key} s", value, "≤ lease + 0.5 s", met)
    return out
