"""Coverage-guided fuzzing of every reader of bytes with atheris (libFuzzer), for as long as asked.

    python tests/fuzz/run.py events --seconds 600      # one target, ten minutes
    python tests/fuzz/run.py all --seconds 60          # every target, a minute each
    make fuzz FUZZ_SECONDS=600                         # the same, through make

Targets are in tests/support/fuzz_targets.py. Each starts from its corpus,
tests/fuzz/corpus/<target>/ (kept in git and replayed by tests/fuzz/test_corpus.py), and grows a
working corpus under .fuzz/<target>/ (ignored by git). An input that breaks a target is written
to .fuzz/crashes/<target>-crash-<sha1> and stops the run with exit code 1: copy it into the
target's corpus, make the test that replays it fail, then fix the code. CI runs each target
for a few seconds (tests/fuzz/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SUPPORT = ROOT / "tests" / "support"
CORPUS = HERE / "corpus"
WORK = ROOT / ".fuzz"
MAX_LEN = {"gzip": 1 << 16, "config": 1 << 14}  # bytes; the others read lines or small files


def fuzz(target: str, seconds: int, runs: int | None) -> int:
    """Run one target in this process (libFuzzer exits the process when it is done)."""
    import atheris

    sys.path.insert(0, str(SUPPORT))
    # Instrumented for coverage: the package must not have been imported before this.
    with atheris.instrument_imports(include=["ops_schedule", "fuzz_targets"]):
        import fuzz_targets
    if target not in fuzz_targets.TARGETS:
        print(f"unknown target {target!r}; choose from: all, {', '.join(fuzz_targets.TARGETS)}")
        return 2
    work = WORK / target
    work.mkdir(parents=True, exist_ok=True)
    (WORK / "crashes").mkdir(parents=True, exist_ok=True)
    args = [
        sys.argv[0],
        str(work),
        str(CORPUS / target),
        f"-max_total_time={seconds}",
        f"-max_len={MAX_LEN.get(target, 4096)}",
        f"-artifact_prefix={WORK / 'crashes'}/{target}-",
        "-timeout=20",
        "-rss_limit_mb=1536",
        "-print_final_stats=1",
    ]
    if runs is not None:
        args.append(f"-runs={runs}")
    atheris.Setup(args, fuzz_targets.TARGETS[target])
    atheris.Fuzz()
    return 0  # pragma: no cover - Fuzz() exits the process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("target", help="a target of tests/support/fuzz_targets.py, or all")
    parser.add_argument("--seconds", type=int, default=60, help="per target (default 60)")
    parser.add_argument("--runs", type=int, help="stop after this many inputs instead")
    options = parser.parse_args()
    if options.target != "all":
        return fuzz(options.target, options.seconds, options.runs)
    sys.path.insert(0, str(SUPPORT))
    from fuzz_targets import TARGETS

    failed = []
    for target in TARGETS:  # one process each: libFuzzer ends the process it runs in
        command = [sys.executable, __file__, target, "--seconds", str(options.seconds)]
        if options.runs is not None:
            command += ["--runs", str(options.runs)]
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(target)
    if failed:
        print(f"fuzzing found failures in: {', '.join(failed)} (inputs under {WORK}/crashes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
