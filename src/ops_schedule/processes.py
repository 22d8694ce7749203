"""Which process this is, whether another one on this host still lives, and helpers that die
with the process that started them."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import cast


def this_process() -> tuple[int, str]:
    """The pid and host name written beside a claim or a heartbeat."""
    return os.getpid(), socket.gethostname()


def may_be_alive(pid: int, host: str) -> bool:
    """Whether process ``pid`` on ``host`` may still be running.

    A pid means something only on the host (or container) that wrote it, so a process elsewhere
    is assumed alive; so is one owned by another user.
    """
    if host != socket.gethostname() or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_WATCH_SECONDS = 0.5


def parent_death_guard() -> Callable[[int], None]:
    """The first call of a forked helper (a log reader): ``guard(parent)`` ends the helper
    (SIGKILL) as soon as its parent ``parent`` has died.

    A run killed by SIGKILL or the OOM killer runs no cleanup, and its helpers must not live on
    without it. On Linux the kernel sends the signal (``PR_SET_PDEATHSIG``); elsewhere a thread
    polls the parent's pid. A parent already gone when the guard is set ends the helper at once.
    The C function is looked up here, before the fork: a lookup in the child of a threaded
    process could wait forever on a loader lock held by a thread that the fork did not copy.
    """
    prctl = _prctl()

    def guard(parent: int) -> None:
        if prctl is None or prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
        if os.getppid() != parent:  # it died before the guard was in place
            os._exit(1)

    return guard


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None  # pragma: no cover - not Linux
    import ctypes  # here: only a run that starts helpers pays for it

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None
    prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    prctl.restype = ctypes.c_int
    return cast("Callable[..., int]", prctl)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGKILL)
