"""Renewing a lease while a run lives, from a thread (docs/design.md, "Claims and leases").

A run's work does not pause for the store: a report over a large log, or posting while GitHub
rate-limits us (up to ``github.maxRetrySeconds``), can take longer than any lease that still
lets a crashed holder be taken over quickly. So the lease is renewed by a thread every third of
its length, whatever the run is doing. What the thread cannot do is keep a dead, paused or
cut-off process's claim: then nothing renews it, it runs out, and another process takes over.
The run itself checks the claim again at its safe points, before posting and before recording.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from ops_schedule.errors import ClaimLostError, StateError

log = logging.getLogger(__name__)


class Renewal:
    """``with Renewal(renew, every=40.0, what="the claim on X"):`` calls ``renew`` every
    ``every`` seconds until the block ends or the claim is lost."""

    def __init__(self, renew: Callable[[], None], *, every: float, what: str) -> None:
        self._renew = renew
        self._every = every
        self._what = what
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ops-schedule-renewal", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self._every):
            try:
                self._renew()
            except ClaimLostError as exc:
                log.warning("%s", exc)
                return
            except StateError as exc:  # unreachable for now: try again, the lease may still hold
                if not failing:
                    log.warning("cannot renew %s (%s); trying again", self._what, exc)
                failing = True
            else:
                if failing:
                    log.info("renewed %s again", self._what)
                failing = False
