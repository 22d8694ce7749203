"""Reading tasks on every core: one worker process per core, one folder per worker.

Each worker takes the next task from a shared queue (so a slow core simply takes fewer), folds
it into its own :class:`~.fold.Folder`, and reports only the task's
:class:`~.fold.Boundary`. When the queue is empty it sends its folder back
once. The caller merges one folder per worker, not one result per task: the merge stays cheap
however finely the work is cut.

Workers live no longer than the process that started them: when it dies, however it dies
(SIGKILL, the OOM killer), they are killed too (``processes.parent_death_guard``); when it stops
on a signal it can handle, it ends them itself. They hold none of its locks (``store.file``).
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ops_schedule.processes import parent_death_guard
from ops_schedule.reports.observability.reader.fold import Boundary, Folder, Plan
from ops_schedule.reports.observability.reader.tasks import Task, collector_paused, run_task

POLL = 0.5  # seconds between checks that the workers are still alive
_GUARD = parent_death_guard()  # set up here, in the parent: see parent_death_guard


class WorkerError(OSError):
    """A worker process failed or died while reading the log (an I/O failure to the caller)."""


def run_parallel(
    plan: Plan,
    tasks: Sequence[Task],
    workers: int,
    done: Callable[[int], None],
    started: Callable[[], None],
) -> tuple[Folder, list[Boundary]]:
    """Run ``tasks`` on ``workers`` processes; call ``started()`` once they run (no fork follows,
    so it may start threads) and ``done(size)`` as each task finishes."""
    context = _context()
    todo: Any = context.Queue()
    results: Any = context.Queue()
    # Processes start before anything is put on a queue: the queues' feeder threads must not
    # exist yet when ``fork`` copies this process.
    processes = [
        context.Process(target=_serve, args=(plan, todo, results, os.getpid()), daemon=True)
        for _ in range(workers)
    ]
    with warnings.catch_warnings():
        # Python 3.12+ warns about any fork of a threaded process; see _context for why this
        # one is safe.
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*fork.*")
        for process in processes:
            process.start()
    started()
    try:
        for item in enumerate(tasks):
            todo.put(item)
        for _ in processes:
            todo.put(None)
        return _collect(plan, tasks, processes, results, done)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for channel in (todo, results):
            channel.cancel_join_thread()  # after a failure, items may be left: do not wait
            channel.close()


def _collect(
    plan: Plan,
    tasks: Sequence[Task],
    processes: Sequence[Any],
    results: Any,
    done: Callable[[int], None],
) -> tuple[Folder, list[Boundary]]:
    boundaries: list[Boundary | None] = [None] * len(tasks)
    total = Folder(plan)
    finished = 0
    while finished < len(processes):
        try:
            kind, payload = results.get(timeout=POLL)
        except queue.Empty:
            # A worker that sent its folder exits with 0; any other end is a failure.
            codes = [process.exitcode for process in processes]
            if any(code not in (None, 0) for code in codes) or None not in codes:
                raise WorkerError(f"a reader process died (exit codes {codes})") from None
            continue
        if kind == "task":
            index, boundary = payload
            boundaries[index] = boundary
            done(tasks[index].size)
        elif kind == "folder":
            total.merge(payload)
            finished += 1
        else:
            raise WorkerError(f"a reader process failed:\n{payload}")
    if any(boundary is None for boundary in boundaries):  # pragma: no cover - defensive
        raise WorkerError("a reader process stopped before its tasks were done")
    return total, [boundary for boundary in boundaries if boundary is not None]


def _serve(plan: Plan, todo: Any, results: Any, parent: int) -> None:
    # Not the parent's stop handlers: the parent ends workers with SIGTERM, and Ctrl-C is for
    # the parent, which then stops them. A parent that dies without stopping them kills them.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _GUARD(parent)
    folder = Folder(plan)
    try:
        with collector_paused():
            while (item := todo.get()) is not None:
                index, task = item
                results.put(("task", (index, run_task(folder, index, task))))
        results.put(("folder", folder))
    except Exception:  # noqa: BLE001 - reported to the parent, which raises it
        results.put(("error", traceback.format_exc()))


def _context() -> Any:
    """``fork`` on Linux, also in a process with other threads (the ``loop`` service).

    Forking a threaded process is unsafe when the child takes a lock another thread held at the
    fork. These workers run only this package's code: they log nothing, import nothing new, and
    use only the queues made for them before the fork; the interpreter re-initialises its own
    locks in the child. ``spawn`` and ``forkserver`` would re-import the caller's main module
    (fatal for a script without a ``__main__`` guard) and cost a second of start-up; they are
    used only where ``fork`` is not the platform's safe default.
    """
    import multiprocessing  # here: a report that needs no workers does not pay for the import

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")  # pragma: no cover - macOS, Windows
