"""An overall deadline for one blocking call (an HTTP request), whatever its socket timeouts.

httpx's timeouts bound each socket operation, not a request: a server that trickles one byte
every few seconds would hold a request for ever. :func:`within` gives up after ``seconds`` and
leaves the call to end on its own, within its socket timeouts, in a daemon thread (it cannot
outlive the process). Used by every sender that talks to a receiver: GitHub, Slack, the webhook,
the pings and the Pushgateway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class DeadlinePassed(Exception):  # noqa: N818 - a condition, turned into a failure by the caller
    """The call did not return within its deadline."""


def within(seconds: float, call: Callable[[], T], *, name: str = "request") -> T:
    """``call()`` if it returns within ``seconds``; else :class:`DeadlinePassed`."""
    if seconds == float("inf"):
        return call()
    if seconds <= 0:
        raise DeadlinePassed
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    if not done.wait(seconds):
        raise DeadlinePassed
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    result: T = value
    return result
