"""At least one second between the mutative requests (POST, PATCH) of one process.

GitHub's REST API best practices ask integrations to wait at least a second between requests
that create or change content, or risk its secondary rate limit; see docs/github.md. Every
GitHub sink of the process shares :data:`PROCESS_SPACING`, so several jobs posting in one tick
keep the spacing too. The clock and the sleep are injected, so tests need no wall time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MUTATION_INTERVAL = 1.0  # seconds


@dataclass
class Spacing:
    """Waits, before each mutative request, until ``interval`` has passed since the last."""

    interval: float = MUTATION_INTERVAL
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait(self) -> None:
        with self._lock:
            if self._last is not None:
                delay = self._last + self.interval - self.clock()
                if delay > 0:
                    self.sleep(delay)
            self._last = self.clock()


PROCESS_SPACING = Spacing()
