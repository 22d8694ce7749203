"""What the benchmark runs in a child process: the report engine, or the parse floor.

``python benchmarks/child.py engine LOG END DAYS BUCKET_HOURS``
    The report engine as the report job calls it: ``collect_stats`` with the job's windows
    (the period and the one before it), bucket and redactor.
``python benchmarks/child.py report LOG END DAYS BUCKET_HOURS``
    The whole ``ops-schedule report daily|weekly --format json`` command, in this process:
    start-up, configuration, reading, metrics, rendering, redaction.
``python benchmarks/child.py floor LOG``
    The floor: read the lines of LOG and parse each with orjson, nothing else, on one core.
    LOG holds exactly the lines of the report's windows.

Prints one JSON line: what was counted, the seconds spent after start-up, and the peak RSS of
this process (VmHWM) and of the largest of its own children (the engine's worker processes),
in KiB.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path


def _engine(log: Path, end: datetime, days: int, bucket_hours: int) -> dict[str, object]:
    from ops_schedule.redaction import build_redactor
    from ops_schedule.reports.observability.reader import collect_stats

    length = timedelta(days=days)
    windows = [(end - 2 * length, end - length), (end - length, end)]
    started = time.perf_counter()
    previous, current = collect_stats(
        log, windows, bucket=timedelta(hours=bucket_hours), redact=build_redactor().redact
    )
    return {
        "via": "collect_stats",
        "seconds": time.perf_counter() - started,
        "events": current.events,
        "previousEvents": previous.events,
        "malformed": current.malformed,
        "mcps": len(current.mcp),
    }


def _cli(log: Path, end: datetime, days: int) -> dict[str, object]:
    import tempfile

    from ops_schedule.cli.main import main

    kind = "weekly" if days == 7 else "daily"
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch, "ops-schedule.json")
        config.write_text(json.dumps({"sources": {"events": str(log)}, "locale": "en"}))
        out = Path(scratch, "report.json")
        argv = ["--quiet", "--config", str(config), "report", kind]
        argv += ["--at", end.isoformat(), "--format", "json", "--out", str(out)]
        started = time.perf_counter()
        try:
            main(argv)
        except SystemExit as exc:  # pragma: no cover - a failed run is reported by its code
            if exc.code:
                raise
        seconds = time.perf_counter() - started
        data = json.loads(out.read_text())
    return {
        "via": "ops-schedule report",
        "seconds": seconds,
        "events": data["totals"]["events"],
        "previousEvents": data.get("previous", {}).get("totals", {}).get("events"),
        "malformed": data["totals"]["malformedLines"],
        "mcps": len(data["mcp"]),
    }


def _floor(log: Path) -> dict[str, object]:
    import orjson

    loads, error = orjson.loads, orjson.JSONDecodeError
    started = time.perf_counter()
    with log.open("rb") as handle:
        for line in handle:  # nothing but reading and parsing: not even a line count
            try:  # noqa: SIM105 - contextlib.suppress costs more per line than this floor allows
                loads(line)
            except error:
                pass
    return {"via": "floor", "seconds": time.perf_counter() - started}


def _peak_rss_kib() -> int:
    """This process's peak RSS since exec.

    ``getrusage(RUSAGE_SELF)`` would also count the parent's RSS at fork time (Linux carries
    it over exec), which says nothing about the engine.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    mode, log = sys.argv[1], Path(sys.argv[2])
    if mode == "engine":
        end = datetime.fromisoformat(sys.argv[3])
        result = _engine(log, end, int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "report":
        result = _cli(log, datetime.fromisoformat(sys.argv[3]), int(sys.argv[4]))
    else:
        result = _floor(log)
    result["rssKiB"] = _peak_rss_kib()
    result["workerRssKiB"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps(result))


if __name__ == "__main__":
    main()
