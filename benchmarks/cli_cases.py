"""Benchmark cases for the command line's own costs, each against a floor measured in the same run.

r  redaction throughput: the redactor, over the same text, against one RE2 scan-and-substitute
   pass with the same patterns (every built-in format as one alternation); the whole text (as
   reports and output are redacted) and line by line as ``ops-schedule redact`` does; and the
   ``redact`` command itself against a script that runs that one pass, both as processes.
s  ``ops-schedule run`` with nothing due against ``python -c pass``, both as processes.

Medians of interleaved runs; targets in docs/performance.md ("Redaction and start-up").
"""

from __future__ import annotations

import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "[REDACTED]"
BLOCK = 1 << 16  # what ``ops-schedule redact`` reads at a time
RATIO_TARGET = 2.0
START_TARGET = 0.150  # seconds

# One RE2 scan-and-substitute pass, as a process: the floor of the ``redact`` command.
ONE_PASS_SCRIPT = """
import sys
from ops_schedule.redaction.compiled import candidates
one_pass = candidates(("[REDACTED]",))
data = sys.stdin.buffer.read()
sys.stdout.buffer.write(one_pass.sub(b"[REDACTED]", data))
"""


def _interleaved(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Each of ``runs`` ``repeat`` times, in turn, so that the machine's other load falls on
    all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return times


def _texts(event_log: Path) -> dict[str, str]:
    """The texts the redactor is measured on: an event log (what ``redact`` is pointed at
    before posting is turned on), the reports of the demo workspace (Japanese Markdown and
    JSON, as the archive holds them), and the redaction corpus (a secret on every line: the
    worst case, for reference)."""
    log = event_log.read_bytes().decode("utf-8", "replace")
    with tempfile.TemporaryDirectory() as scratch:
        demo = Path(scratch, "demo")
        command = [sys.executable, "-m", "ops_schedule"]
        config = str(demo / "ops-schedule.json")
        for argv in (["demo", "--dir", str(demo)], ["--config", config, "run", "--now"]):
            subprocess.run([*command, *argv], check=True, capture_output=True)
        reports = "".join(p.read_text("utf-8") for p in sorted((demo / "reports").rglob("*.*")))
    sys.path[:0] = [str(ROOT / "tests" / "support"), str(ROOT / "tests" / "redaction")]
    from redaction_corpus import MUST_KEEP, positives  # the tests' corpus: see the docstring

    corpus = "\n".join([line for _, line, _ in positives()] + list(MUST_KEEP)) + "\n"
    return {
        "event log": log,
        "reports": reports * max(1, (4 << 20) // len(reports)),
        "corpus (a secret a line)": corpus * max(1, (2 << 20) // len(corpus)),
    }


def case_redaction(event_log: Path, repeat: int) -> dict[str, Any]:
    from ops_schedule.redaction import StreamRedactor, build_redactor
    from ops_schedule.redaction.compiled import candidates

    redactor = build_redactor()
    one_pass = candidates((PLACEHOLDER,))
    placeholder = PLACEHOLDER.encode()
    texts = {}
    for name, text in _texts(event_log).items():

        def floor(text: str = text) -> object:
            data = text.encode("utf-8", "surrogatepass")
            return one_pass.sub(placeholder, data).decode("utf-8", "replace")

        def by_lines(text: str = text) -> object:
            stream = StreamRedactor(redactor, line_by_line=True)
            out = [stream.feed(text[at : at + BLOCK]) for at in range(0, len(text), BLOCK)]
            return "".join(out) + stream.close()

        runs = {"floor": floor, "whole": lambda text=text: redactor.redact(text), "lines": by_lines}
        times = _interleaved(runs, max(repeat, 5))
        medians = {run: statistics.median(values) for run, values in times.items()}
        texts[name] = {"bytes": len(text.encode("utf-8", "surrogatepass")), **medians}
    return {"texts": texts, "command": _redact_command(event_log, max(repeat, 5))}


def _redact_command(event_log: Path, repeat: int) -> dict[str, Any]:
    command = _ops_schedule()
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch, "ops-schedule.json")
        config.write_text("{}", encoding="utf-8")

        def run(argv: list[str]) -> Callable[[], object]:
            def go() -> object:
                with event_log.open("rb") as stdin:
                    return subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, check=True)

            return go

        runs = {
            "floor": run([sys.executable, "-c", ONE_PASS_SCRIPT]),
            "command": run([*command, "--config", str(config), "redact"]),
        }
        times = _interleaved(runs, repeat)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {"bytes": event_log.stat().st_size, **medians}


def _ops_schedule() -> list[str]:
    """The installed command, as cron runs it (or the module, where there is none)."""
    script = Path(sys.executable).parent / "ops-schedule"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ops_schedule"]


def case_start(repeat: int) -> dict[str, Any]:
    """``run`` with nothing due: three enabled jobs, each period done by a ``run --now``."""
    # As installed: pip compiles the package; a checkout with PYTHONDONTWRITEBYTECODE has none.
    compileall.compile_dir(ROOT / "src", quiet=1)
    command = _ops_schedule()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        config = root / "ops-schedule.json"
        jobs = {name: {"enabled": True} for name in _job_names()}
        raw = {
            "enabled": True,
            "stateDir": str(root / "state"),
            "outputDir": str(root / "reports"),
            "sources": {"events": str(root / "none.jsonl"), "incidents": str(root / "none")},
            "jobs": jobs,
        }
        config.write_text(json.dumps(raw), encoding="utf-8")
        run = [*command, "--config", str(config), "run"]
        subprocess.run([*run, "--now"], check=True, capture_output=True)

        def quiet() -> object:
            done = subprocess.run(run, capture_output=True, text=True, check=True)
            if done.stdout != "nothing due\n":  # a scheduled instant passed: do that period
                subprocess.run([*run, "--now"], check=True, capture_output=True)
            return done

        quiet()  # the first validates the file and keeps the schedule
        runs = {"floor": lambda: subprocess.run([sys.executable, "-c", "pass"], check=True)}
        runs["run"] = quiet
        times = _interleaved(runs, max(repeat, 21))
        probe = [sys.executable, "-X", "importtime", "-m", "ops_schedule"]
        imports = subprocess.run(
            [*probe, "--config", str(config), "run"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
    return {
        "floor": statistics.median(times["floor"]),
        "run": statistics.median(times["run"]),
        "runs": times,
        "largestImports": _largest_imports(imports),
    }


def _job_names() -> tuple[str, ...]:
    from ops_schedule.configfile import JOB_NAMES

    return JOB_NAMES


def _largest_imports(importtime: str, count: int = 12) -> list[tuple[str, int]]:
    """The modules with the largest cumulative import time (microseconds), top level first."""
    rows = []
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        rows.append((name.rstrip(), int(cumulative)))
    return sorted(rows, key=lambda row: -row[1])[:count]


def rows(results: dict[str, Any]) -> list[list[str]]:
    """Rows for bench.py's table: case, what, size, , wall, , , floor, ratio, target, met."""
    out = []
    if "r" in results:
        for name, m in results["r"]["texts"].items():
            size = f"{m['bytes'] / 1e6:.1f} MB"
            reference = name.startswith("corpus")
            for run, what in (("whole", "whole text"), ("lines", "each line alone")):
                ratio = m[run] / m["floor"]
                target = "(reference)" if reference else f"≤ {RATIO_TARGET:g} × one RE2 pass"
                met = "" if reference else ("yes" if ratio <= RATIO_TARGET else "NO")
                out.append(
                    [
                        "r",
                        f"redact {name}, {what}",
                        size,
                        "",
                        f"{m[run] * 1000:.1f} ms",
                        "",
                        f"{m['bytes'] / m[run] / 1e6:.0f} MB/s",
                        f"{m['floor'] * 1000:.1f} ms",
                        f"{ratio:.2f}",
                        target,
                        met,
                    ]
                )
        c = results["r"]["command"]
        out.append(
            [
                "r",
                "`ops-schedule redact < event log` (process)",
                f"{c['bytes'] / 1e6:.1f} MB",
                "",
                f"{c['command']:.2f} s",
                "",
                f"{c['bytes'] / c['command'] / 1e6:.0f} MB/s",
                f"{c['floor']:.2f} s",
                f"{c['command'] / c['floor']:.2f}",
                "(with start-up)",
                "",
            ]
        )
    if "s" in results:
        s = results["s"]
        out.append(
            [
                "s",
                "`ops-schedule run`, nothing due (process)",
                "",
                "",
                f"{s['run'] * 1000:.0f} ms",
                "",
                "",
                f"{s['floor'] * 1000:.0f} ms (`python -c pass`)",
                f"{s['run'] / s['floor']:.1f}",
                f"≤ {START_TARGET * 1000:.0f} ms",
                "yes" if s["run"] <= START_TARGET else "NO",
            ]
        )
    return out
