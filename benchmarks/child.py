"""What the benchmark runs in a child process: the report engine, or the parse floor.

``python benchmarks/child.py engine LOG END DAYS BUCKET_HOURS [--cache=PATH] [--aggregates]``
    The report engine as the report job calls it: ``collect_stats`` with the job's windows
    (the period and the one before it), bucket and redactor. With ``--cache`` it is given that
    file of hourly partial aggregates (``cache=`` is passed only then, so the child also runs an
    engine without that parameter); with ``--aggregates`` the result also carries the current
    window's aggregates (:func:`_aggregates`), computed after the clock stops.
``python benchmarks/child.py report LOG END DAYS BUCKET_HOURS``
    The whole ``ops-schedule report daily|weekly --format json`` command, in this process:
    start-up, configuration, reading, metrics, rendering, redaction. Its state directory is a
    scratch one, and it reads the whole windows (``--no-cache``, where the command has it).
``python benchmarks/child.py floor LOG``
    The floor: read the lines of LOG and parse each with orjson, nothing else, on one core.
    LOG holds exactly the lines of the report's windows.
``python benchmarks/child.py duckdb LOG START END``
    DuckDB beside the engine: one SQL query (``read_json`` over LOG) computing the aggregates of
    the window ``[START, END)`` that ``--aggregates`` gives for the engine (``DUCKDB_QUERY``).

Prints one JSON line: what was counted, the seconds spent after start-up, and the peak RSS of
this process (VmHWM) and of the largest of its own children (the engine's worker processes),
in KiB.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ops_schedule.reports.observability.stats import WindowStats


def _engine(
    log: Path,
    end: datetime,
    days: int,
    bucket_hours: int,
    *,
    cache: Path | None = None,
    aggregates: bool = False,
) -> dict[str, object]:
    from ops_schedule.redaction import build_redactor
    from ops_schedule.reports.observability.reader import collect_stats

    length = timedelta(days=days)
    windows = [(end - 2 * length, end - length), (end - length, end)]
    options: dict[str, Any] = {} if cache is None else {"cache": cache}
    started = time.perf_counter()
    previous, current = collect_stats(
        log,
        windows,
        bucket=timedelta(hours=bucket_hours),
        redact=build_redactor().redact,
        **options,
    )
    result: dict[str, object] = {
        "via": "collect_stats" if cache is None else "collect_stats, cache",
        "seconds": time.perf_counter() - started,
        "events": current.events,
        "previousEvents": previous.events,
        "malformed": current.malformed,
        "mcps": len(current.mcp),
    }
    if aggregates:
        result["aggregates"] = _aggregates(current)
    return result


def _aggregates(stats: WindowStats) -> dict[str, Any]:
    """The window's aggregates that DuckDB computes too (see ``DUCKDB_QUERY``).

    Per MCP: calls, failures, the count and sum of the durations that count (the mean is their
    quotient) and the nearest-rank p95; by error type: count and earliest example. Only MCPs
    with calls: an MCP seen only in circuit transitions has none.
    """
    from collections import Counter

    from ops_schedule.reports.observability.stats import nearest_rank

    every: Counter[float] = Counter()
    mcp = {}
    for name, row in sorted(stats.mcp.items()):
        every.update(row.durations)
        if row.calls:
            timed = row.duration_count
            total = math.fsum(value * n for value, n in row.durations.items())
            mcp[name] = [row.calls, row.failures, timed, total, row.p95_ms()]
    return {
        "events": stats.events,
        "ok": stats.ok,
        "fail": stats.fail,
        "p95": nearest_rank(every, 95),
        "mcp": mcp,
        "failures": {
            name: [row.count, row.example] for name, row in sorted(stats.failures.items())
        },
    }


# What the engine counts, in SQL. A line counts when its timestamp is an aware instant inside
# the window and its status is "ok" or "fail"; lines DuckDB cannot read (not JSON, cut off, not
# UTF-8) are skipped by ``ignore_errors``. Columns are typed, not inferred, so that a malformed
# line cannot change a column's type. A duration counts when it is a number from 0 to a week
# (the engine's LONGEST_MS); a failure without an error type (missing or "") is "unknown"; its
# example is the earliest non-empty message. ``quantile_disc(d, 0.95)`` is the value at rank
# ceil(0.95·n) of the sorted durations: the engine's nearest-rank p95 (the harness checks that
# they are equal). The CTE is materialised: the file is read and filtered once, then grouped
# three ways (faster than GROUPING SETS, which computes every aggregate for every grouping).
# The generator writes every timestamp with "Z" or "+09:00" and every field as the type given
# here; on other logs, where DuckDB would read a naive timestamp as UTC or turn a number in
# mcpName into text, the harness's comparison with the engine would show it.
DUCKDB_QUERY = """
WITH e AS MATERIALIZED (
    SELECT
        timestamp AS ts,
        status,
        mcpName AS mcp,
        CASE WHEN durationMs BETWEEN 0 AND 604800000 THEN durationMs END AS d,
        CASE WHEN status = 'fail' THEN coalesce(nullif(errorType, ''), 'unknown') END AS etype,
        nullif(errorMessage, '') AS message
    FROM read_json(
        $log,
        format = 'newline_delimited',
        ignore_errors = true,
        columns = {
            timestamp: 'TIMESTAMPTZ',
            status: 'VARCHAR',
            mcpName: 'VARCHAR',
            durationMs: 'DOUBLE',
            errorType: 'VARCHAR',
            errorMessage: 'VARCHAR'
        }
    )
    WHERE ts >= $start AND ts < $end AND status IN ('ok', 'fail')
)
SELECT 'total', NULL, count(*), count(*) FILTER (status = 'ok'), count(*) FILTER (status = 'fail'),
    NULL, NULL, quantile_disc(d, 0.95) FILTER (mcp IS NOT NULL), NULL
FROM e
UNION ALL
SELECT 'mcp', mcp, count(*), NULL, count(*) FILTER (status = 'fail'),
    count(d), sum(d), quantile_disc(d, 0.95), NULL
FROM e WHERE mcp IS NOT NULL GROUP BY mcp
UNION ALL
SELECT 'failure', etype, count(*), NULL, NULL,
    NULL, NULL, NULL, arg_min(message, ts) FILTER (message IS NOT NULL)
FROM e WHERE etype IS NOT NULL GROUP BY etype
"""


def _duckdb(log: Path, start: datetime, end: datetime) -> dict[str, object]:
    import duckdb

    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    rows = connection.execute(DUCKDB_QUERY, {"log": str(log), "start": start, "end": end})
    found = rows.fetchall()
    seconds = time.perf_counter() - started
    connection.close()
    result: dict[str, Any] = {"mcp": {}, "failures": {}}
    for kind, name, count, ok, fail, timed, total, p95, example in found:
        if kind == "total":
            result.update(events=count, ok=ok, fail=fail, p95=p95)
        elif kind == "mcp":
            result["mcp"][name] = [count, fail, timed, total or 0.0, p95]
        else:
            result["failures"][name] = [count, example]
    result["mcp"] = dict(sorted(result["mcp"].items()))
    result["failures"] = dict(sorted(result["failures"].items()))
    return {
        "via": f"DuckDB {duckdb.__version__}",
        "version": duckdb.__version__,
        "seconds": seconds,
        "events": result["events"],
        "aggregates": result,
    }


def _cli(log: Path, end: datetime, days: int) -> dict[str, object]:
    import tempfile

    from ops_schedule.cli.main import main

    kind = "weekly" if days == 7 else "daily"
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch, "ops-schedule.json")
        # State in the scratch directory: the default stateDir is relative to the working
        # directory, where a cache of partials would outlive the run and warm the next one.
        raw = {"sources": {"events": str(log)}, "locale": "en", "stateDir": f"{scratch}/state"}
        config.write_text(json.dumps(raw))
        out = Path(scratch, "report.json")
        argv = ["--quiet", "--config", str(config), "report", kind]
        argv += ["--at", end.isoformat(), "--format", "json", "--out", str(out)]
        if _report_has_no_cache():  # the whole command reading everything, as case a's engine
            argv.append("--no-cache")
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


def _report_has_no_cache() -> bool:
    from ops_schedule.cli.commands.report import report

    return any("--no-cache" in option.opts for option in report.params)


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
        options = sys.argv[6:]
        caches = [Path(o.removeprefix("--cache=")) for o in options if o.startswith("--cache=")]
        result = _engine(
            log,
            end,
            int(sys.argv[4]),
            int(sys.argv[5]),
            cache=caches[-1] if caches else None,
            aggregates="--aggregates" in options,
        )
    elif mode == "duckdb":
        start, end = (datetime.fromisoformat(value) for value in sys.argv[3:5])
        result = _duckdb(log, start, end)
    elif mode == "report":
        result = _cli(log, datetime.fromisoformat(sys.argv[3]), int(sys.argv[4]))
    else:
        result = _floor(log)
    result["rssKiB"] = _peak_rss_kib()
    result["workerRssKiB"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps(result))


if __name__ == "__main__":
    main()
