"""Cases w and x: the report engine without a cache, with a cold and a warm cache of hourly
partial aggregates, the parse floor and DuckDB, side by side in one run.

w  weekly report over the 7-day log of case a (1 M events), its windows and daily buckets:
   no cache (``cache=None``); a cold cache (an empty file: the cost of writing the partials);
   a warm cache (prepared once, before the clock, by the daily runs of the week's seven days,
   the last at the weekly's own instant; each repeat gets a copy); the floor on the window's
   lines; DuckDB, one ``read_json`` query computing the same aggregates for the window.
x  daily report over the same log: the same runs, the warm cache prepared by the previous
   day's daily run only; floor and DuckDB over the day's window (the engine without a cache
   reads the previous day too).

Every run is a child process (benchmarks/child.py); the five alternate, ``repeat`` times;
medians. The engine without a cache and DuckDB give the window's aggregates (first repeat);
they are compared, and so are the cached results with the uncached one. While the engine has
no ``cache`` parameter, the cold and warm runs are skipped; without DuckDB installed
(``pip install -e '.[bench]'``), the DuckDB run is. Targets in docs/performance.md.
"""

from __future__ import annotations

import inspect
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

RunChild = Callable[..., dict[str, Any]]
NO_CACHE = "no cache in this engine"
WARM_FLOOR_TARGET = 0.1  # warm ≤ 0.1 × floor (weekly)
COLD_TARGET = 1.1  # cold ≤ 1.1 × no cache: writing the partials costs next to nothing
RSS_TARGET_MB = 100


def engine_has_cache() -> bool:
    """Whether ``collect_stats`` takes a ``cache`` (the file of hourly partial aggregates)."""
    from ops_schedule.reports.observability.reader import collect_stats

    return "cache" in inspect.signature(collect_stats).parameters


def duckdb_version() -> str | None:
    """DuckDB's version, or None when a child cannot import it (it comes with the ``bench``
    extra). Asked of a child process, as the runs will: this one stays free of DuckDB."""
    code = "import duckdb; print(duckdb.__version__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(
            "DuckDB cannot be imported (pip install -e '.[bench]'): its runs are skipped",
            file=sys.stderr,
        )
        return None
    return done.stdout.strip()


def measure(
    log: Path,
    *,
    end: datetime,
    days: int,
    bucket_hours: int,
    repeat: int,
    floor_log: Path,
    daily_runs: list[datetime],
    run_child: RunChild,
) -> dict[str, Any]:
    """Every run of one case, interleaved ``repeat`` times, and what they found.

    ``daily_runs``: the instants of the daily runs that prepare the warm cache, oldest first.
    """
    start = end - timedelta(days=days)
    cached = engine_has_cache()
    duckdb = duckdb_version()
    engine = [str(log), end.isoformat(), str(days), str(bucket_hours)]
    runs: dict[str, list[dict[str, Any]]] = {"uncached": [], "floor": []}
    if cached:
        runs |= {"cold": [], "warm": []}
    if duckdb:
        runs["duckdb"] = []
    result: dict[str, Any] = {
        "log": log.name,
        "logBytes": log.stat().st_size,
        "floorLog": floor_log.name,
        "floorBytes": floor_log.stat().st_size,
        "window": [start.isoformat(), end.isoformat()],
        "engineHasCache": cached,
        "duckdbVersion": duckdb,
    }
    with tempfile.TemporaryDirectory(prefix="bench-partials-") as scratch:
        root = Path(scratch)
        prepared = root / "prepared" / "partials.sqlite3"
        if cached:
            prepared.parent.mkdir()
            # The previous days' runs, untimed: they fill the cache.
            preparation = [
                run_child("engine", str(log), at.isoformat(), "1", "1", f"--cache={prepared}")
                for at in daily_runs
            ]
            result["preparation"] = {
                "dailyRuns": [at.isoformat() for at in daily_runs],
                "cacheBytes": _size(prepared),
                "runs": preparation,
            }
        for index in range(repeat):
            extra = ["--aggregates"] if index == 0 else []
            runs["uncached"].append(run_child("engine", *engine, *extra))
            if cached:
                cold = _fresh(root, f"cold-{index}")
                cold.touch()  # an empty file: SQLite reads it as an empty database
                runs["cold"].append(run_child("engine", *engine, f"--cache={cold}", *extra))
                if index == 0:
                    result["coldCacheBytes"] = _size(cold)
                shutil.rmtree(cold.parent)
                warm = _fresh(root, f"warm-{index}")
                _copy_database(prepared, warm)
                runs["warm"].append(run_child("engine", *engine, f"--cache={warm}", *extra))
                shutil.rmtree(warm.parent)
            runs["floor"].append(run_child("floor", str(floor_log)))
            if duckdb:
                runs["duckdb"].append(
                    run_child("duckdb", str(log), start.isoformat(), end.isoformat())
                )
    result |= {name: _summary(done) for name, done in runs.items()}
    result["ratios"] = _ratios(result, "wall", "bestWall")
    # Without the interpreter's start-up and imports (each child's own clock): what the reading
    # costs once a process runs, for targets that wall times including start-up cannot reach.
    result["ratiosAfterStartUp"] = _ratios(result, "seconds", "bestSeconds")
    result["comparison"] = _compare(result)
    return result


def _fresh(root: Path, name: str) -> Path:
    directory = root / name
    directory.mkdir()
    return directory / "partials.sqlite3"


def _size(database: Path) -> int:
    """Bytes of an SQLite database with its write-ahead log, if any."""
    files = [database, database.with_name(database.name + "-wal")]
    return sum(path.stat().st_size for path in files if path.exists())


def _copy_database(source: Path, target: Path) -> None:
    """A copy of a closed SQLite database (and of its write-ahead log, should one be left)."""
    for suffix in ("", "-wal"):
        path = source.with_name(source.name + suffix)
        if path.exists():
            shutil.copyfile(path, target.with_name(target.name + suffix))


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]
    summary = {
        "wall": statistics.median(r["wall"] for r in runs),
        "bestWall": min(r["wall"] for r in runs),
        "bestSeconds": min(r["seconds"] for r in runs),
        "seconds": statistics.median(r["seconds"] for r in runs),
        "rssKiB": max(r["rssKiB"] for r in runs),
        "workerRssKiB": max(r["workerRssKiB"] for r in runs),
        "via": first["via"],
        "aggregates": first.get("aggregates"),
        "runs": [{k: v for k, v in r.items() if k != "aggregates"} for r in runs],
    }
    for key in ("events", "previousEvents", "malformed"):
        if key in first:
            summary[key] = first[key]
    return summary


def _ratios(result: dict[str, Any], median: str, best: str) -> dict[str, list[float] | None]:
    """Ratios of the medians and of the best runs: [median, best]; None when a run is missing."""

    def ratio(a: str, b: str) -> list[float] | None:
        if a not in result or b not in result:
            return None
        x, y = result[a], result[b]
        return [x[median] / y[median], x[best] / y[best]]

    return {
        "warm/floor": ratio("warm", "floor"),
        "cold/floor": ratio("cold", "floor"),
        "warm/duckdb": ratio("warm", "duckdb"),
        "cold/uncached": ratio("cold", "uncached"),
        "warm/uncached": ratio("warm", "uncached"),
        "uncached/floor": ratio("uncached", "floor"),
        "duckdb/floor": ratio("duckdb", "floor"),
    }


def _compare(result: dict[str, Any]) -> dict[str, Any]:
    """The cached engine against the uncached one, and the engine's window against DuckDB's.

    Cached runs must give the uncached result in everything. Against DuckDB, ``agrees`` covers
    the totals (events, ok, fail) and every MCP's calls and failures; the rest is checked and
    reported apart: the nearest-rank p95 (per MCP and over all calls) against
    ``quantile_disc(d, 0.95)``, the count and sum of durations (hence the mean), failures by
    type and their examples (DuckDB's passed through the engine's redactor first). Every
    comparison is exact: counts are integers, the durations are integers held exactly in doubles.
    """
    ours = result["uncached"]["aggregates"]
    out: dict[str, Any] = {}
    for name in ("cold", "warm"):
        if name in result:
            out[f"{name}EqualsUncached"] = same = result[name]["aggregates"] == ours
            if not same:
                print(f"WARNING: with a {name} cache the engine's result differs from without")
    if "duckdb" in result:
        out |= _against_duckdb(ours, result["duckdb"]["aggregates"])
    return out


def _against_duckdb(ours: dict[str, Any], duck: dict[str, Any]) -> dict[str, Any]:
    from ops_schedule.redaction import build_redactor

    redact = build_redactor().redact
    for row in duck["failures"].values():
        row[1] = None if row[1] is None else redact(row[1])

    def column(aggregates: dict[str, Any], table: str, part: slice | int) -> dict[str, Any]:
        return {name: row[part] for name, row in aggregates[table].items()}

    differences = [
        f"{key}: engine {ours[key]}, DuckDB {duck[key]}"
        for key in ("events", "ok", "fail")
        if ours[key] != duck[key]
    ]
    calls, duck_calls = column(ours, "mcp", slice(0, 2)), column(duck, "mcp", slice(0, 2))
    differences += [
        f"{name} calls, failures: engine {calls.get(name)}, DuckDB {duck_calls.get(name)}"
        for name in sorted(calls.keys() | duck_calls.keys())
        if calls.get(name) != duck_calls.get(name)
    ]
    examples, duck_examples = column(ours, "failures", 1), column(duck, "failures", 1)
    comparison: dict[str, Any] = {
        "agrees": not differences,
        "differences": differences,
        # The p95 of every MCP, and over all MCP calls under "".
        "p95EqualsQuantileDisc": column(ours, "mcp", 4) | {"": ours["p95"]}
        == column(duck, "mcp", 4) | {"": duck["p95"]},
        "durationCountAndSumEqual": column(ours, "mcp", slice(2, 4))
        == column(duck, "mcp", slice(2, 4)),
        "failureCountsEqual": column(ours, "failures", 0) == column(duck, "failures", 0),
        "examplesEqual": examples == duck_examples,
    }
    if differences:
        print("WARNING: DuckDB and the engine disagree: " + "; ".join(differences))
    for key, same in comparison.items():
        if key.endswith(("Equal", "Disc")) and not same:
            print(f"WARNING: DuckDB and the engine differ: {key} is false")
    if examples != duck_examples:
        comparison["exampleDifferences"] = {
            name: [examples.get(name), duck_examples.get(name)]
            for name in sorted(examples.keys() | duck_examples.keys())
            if examples.get(name) != duck_examples.get(name)
        }
    return comparison


def rows(
    results: dict[str, Any], *, quick: bool, fmt_bytes: Callable[[float], str]
) -> list[list[str]]:
    """Rows for bench.py's table: case, what, log, events in window, wall, peak RSS, events/s,
    floor, × floor (median, best), target, met."""
    out = []
    for case, what in (("w", "weekly"), ("x", "daily")):
        if case in results:
            table = _Rows(case, what, results[case], fmt_bytes(results[case]["logBytes"]))
            out.extend(table.all(quick=quick))
    return out


def _text(pair: list[float] | None) -> str:
    return "n/a" if pair is None else f"{pair[0]:.2f} (best {pair[1]:.2f})"


def _within(pair: list[float] | None, limit: float, *, strict: bool = False) -> bool:
    """Both the medians and the best runs: one unlucky run must not pass or fail a case."""
    if pair is None:
        return False
    return max(pair) < limit if strict else max(pair) <= limit


class _Rows:
    def __init__(self, case: str, what: str, m: dict[str, Any], log: str) -> None:
        self.case, self.what, self.m, self.log = case, what, m, log
        self.ratios: dict[str, list[float] | None] = m["ratios"]

    def all(self, *, quick: bool) -> list[list[str]]:
        rows = [self.engine("uncached", "no cache", f"RSS ≤ {RSS_TARGET_MB} MB", True)]
        rows.append(self.cold(quick=quick))
        rows.append(self.warm(quick=quick))
        rows.append(self.duckdb())
        return rows

    def engine(self, name: str, label: str, target: str, met: bool | None) -> list[str]:
        r, floor = self.m[name], self.m["floor"]
        rss = max(r["rssKiB"], r["workerRssKiB"]) / 1024
        events = r["events"] + (r.get("previousEvents") or 0)
        if met is not None:
            met = met and rss <= RSS_TARGET_MB
        return [
            self.case,
            f"{self.what}, {label}",
            self.log,
            f"{events:,}",
            f"{r['wall']:.2f} s",
            f"{rss:.0f} MB",
            f"{events / r['wall'] / 1e6:.2f} M/s",
            f"{floor['wall']:.2f} s",
            _text(self.ratios[f"{name}/floor"]),
            target,
            "" if met is None else ("yes" if met else "NO"),
        ]

    def missing(self, label: str, why: str) -> list[str]:
        return [self.case, f"{self.what}, {label}", "", "", why, "", "", "", "", "", ""]

    def cold(self, *, quick: bool) -> list[str]:
        label = "cold cache (writes the partials)"
        if "cold" not in self.m:
            return self.missing(label, NO_CACHE)
        ratio = self.ratios["cold/uncached"]
        if self.case == "w" and not quick:
            target = f"≤ {COLD_TARGET} × no cache: {_text(ratio)}"
            return self.engine("cold", label, target, _within(ratio, COLD_TARGET))
        # Daily: no target but RSS; quick: start-up dominates, no verdict at all.
        return self.engine("cold", label, f"{_text(ratio)} × no cache", None if quick else True)

    def warm(self, *, quick: bool) -> list[str]:
        before = "7 daily runs" if self.case == "w" else "the previous day's run"
        label = f"warm cache ({before})"
        if "warm" not in self.m:
            return self.missing(label, NO_CACHE)
        ratios = self.ratios
        if self.case == "w":
            # The reading against the parse, both after their start-up: an interpreter that
            # imports the engine takes about a tenth of the floor by itself, so on wall time
            # (shown too) a tenth of the floor is out of reach for any Python process.
            after = self.m["ratiosAfterStartUp"]["warm/floor"]
            target = (
                f"≤ {WARM_FLOOR_TARGET} × floor after start-up and < DuckDB: "
                f"{_text(after)} × floor after start-up ({_text(ratios['warm/floor'])} on wall "
                f"time), {_text(ratios['warm/duckdb'])} × DuckDB"
            )
            met = _within(after, WARM_FLOOR_TARGET) and _within(
                ratios["warm/duckdb"], 1.0, strict=True
            )
        else:
            target = f"≤ no cache: {_text(ratios['warm/uncached'])} × no cache"
            met = _within(ratios["warm/uncached"], 1.0)
        if quick:  # a tenth of the events: start-up dominates, no verdict
            return self.engine("warm", label, f"(full size only) {target}", None)
        return self.engine("warm", label, target, met)

    def duckdb(self) -> list[str]:
        if "duckdb" not in self.m:
            return self.missing("DuckDB", "not installed: pip install -e '.[bench]'")
        d, c = self.m["duckdb"], self.m["comparison"]
        # DuckDB reads the report's window; the engine reads the one before it too.
        period = "the week" if self.case == "w" else "the day"
        agree = "same numbers" if c["agrees"] else "DIFFERENT numbers"
        p95 = "p95 = quantile_disc" if c["p95EqualsQuantileDisc"] else "p95 ≠ quantile_disc"
        return [
            self.case,
            f"{self.what}, DuckDB {self.m['duckdbVersion']}, one `read_json` query, {period}",
            self.log,
            f"{d['events']:,}",
            f"{d['wall']:.2f} s",
            f"{max(d['rssKiB'], d['workerRssKiB']) / 1024:.0f} MB",
            f"{d['events'] / d['wall'] / 1e6:.2f} M/s",
            f"{self.m['floor']['wall']:.2f} s",
            _text(self.ratios["duckdb/floor"]),
            f"as the engine: {agree}; {p95}",
            "yes" if c["agrees"] else "NO",
        ]
