"""One JSON POST to a receiver other than GitHub (Slack, a webhook), retried like GitHub's posts.

Retried, with the backoff of GitHub's posts (``github.retry_wait``): connection errors,
timeouts, an answer not complete by the deadline, 5xx, and 429 (waiting what ``retry-after``
asks). Any other answer is final: 2xx is success, the rest a :class:`Refused` with the
receiver's own short reason. All attempts share one budget (``maxRetrySeconds``) and each
request's deadline is the time left of it, so a receiver that trickles its answer cannot hold a
run; at most ``MAX_ANSWER_BYTES`` of an answer are read, so a huge one cannot fill the memory.
Redirects are not followed: the body goes only where it was configured to go.

The URL carries the receiver's token: messages name the receiver (``Slack``, ``the webhook``),
never the URL, and a transport error is described by its kind only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus

import httpx
import stamina

from ops_schedule import __version__
from ops_schedule.deadline import DeadlinePassed, within
from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks.base import RetryHook
from ops_schedule.publishing.sinks.github import retry_wait
from ops_schedule.publishing.sinks.github_api import Transient, phrase, rate_limit_wait

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_ATTEMPTS = 12
MAX_ANSWER_BYTES = 16 * 1024
_REASON_CHARS = 200


class Refused(Exception):  # noqa: N818 - an answer, turned into a SinkError by each sink
    """The receiver answered, and not with success: not worth retrying."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {phrase(status)}: {reason}" if reason else str(status))
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Receiver:
    """Where a sink posts. ``label`` names it in messages; ``url`` is a secret."""

    label: str
    url: str = field(repr=False)
    max_retry_seconds: float
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    text: str  # at most MAX_ANSWER_BYTES of it


def post_json(
    receiver: Receiver,
    body: bytes,
    headers: Mapping[str, str],
    *,
    on_retry: RetryHook | None = None,
) -> Answer:
    """POST ``body`` to the receiver, retrying transient failures within its budget.

    Raises :class:`Refused` for a final answer other than 2xx, ``SinkError(permanent=False)``
    when the budget or the attempts run out.
    """
    started = time.monotonic()
    waited = 0.0
    failures = 0
    give_up: str | None = None

    def remaining() -> float:
        return receiver.max_retry_seconds - max(time.monotonic() - started, waited)

    def decide(exc: Exception) -> bool | timedelta:
        nonlocal failures, waited, give_up
        if not isinstance(exc, Transient):
            return False
        failures += 1
        wait = retry_wait(exc, failures, random.random())  # noqa: S311 - jitter
        if failures >= MAX_ATTEMPTS or wait > remaining():
            give_up = (
                f"{receiver.label} still failing after {failures} attempts and "
                f"{time.monotonic() - started:.0f} s (maxRetrySeconds = "
                f"{receiver.max_retry_seconds:.0f} s): {exc.problem}"
            )
            return False
        waited += wait
        if on_retry is not None:
            on_retry(wait, exc.asked is not None)
        return timedelta(seconds=wait)

    request_headers = {"User-Agent": f"ops-schedule/{__version__}", **headers}
    with httpx.Client(timeout=receiver.timeout, follow_redirects=False) as client:
        try:
            for attempt in stamina.retry_context(on=decide, attempts=MAX_ATTEMPTS, timeout=None):
                with attempt:
                    return _send(client, receiver, body, request_headers, remaining())
        except Transient as exc:
            raise SinkError(
                give_up or f"{receiver.label}: {exc.problem}", permanent=False
            ) from None
    raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover


def _send(
    client: httpx.Client,
    receiver: Receiver,
    body: bytes,
    headers: Mapping[str, str],
    deadline: float,
) -> Answer:
    label = receiver.label
    try:
        answer, retry_after = within(
            deadline, lambda: _request(client, receiver.url, body, headers)
        )
    except DeadlinePassed:
        raise Transient(
            f"no complete answer from {label} within {max(deadline, 0):.0f} s, the time left "
            "of the retry budget"
        ) from None
    except httpx.TimeoutException as exc:
        raise Transient(f"no answer from {label} in time ({type(exc).__name__})") from None
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        raise Transient(f"connection to {label} failed ({_kind(exc)})") from None
    except httpx.HTTPError as exc:
        raise SinkError(f"cannot post to {label} ({_kind(exc)})", permanent=True) from None
    status = answer.status
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return answer
    if status == HTTPStatus.TOO_MANY_REQUESTS or (
        status >= HTTPStatus.INTERNAL_SERVER_ERROR and retry_after is not None
    ):
        asked = retry_after or (0.0, 0.0)
        limited = f"{label} asked to slow down ({status} {phrase(status)})"
        if retry_after is None:
            raise Transient(limited, floor=1.0)
        raise Transient(limited, asked=asked[0], until=asked[1])
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        raise Transient(f"{label} answered {status} {phrase(status)}")
    if status < HTTPStatus.BAD_REQUEST:
        raise Refused(status, "a redirect, which is not followed: configure the final URL")
    raise Refused(status, answer.text)


def _request(
    client: httpx.Client, url: str, body: bytes, headers: Mapping[str, str]
) -> tuple[Answer, tuple[float, float] | None]:
    with client.stream("POST", url, content=body, headers=headers) as response:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_ANSWER_BYTES:
                break  # the rest is never read: closing the response drops it
        text = b"".join(chunks)[:MAX_ANSWER_BYTES].decode("utf-8", "replace")
        retry_after = rate_limit_wait(response.headers, time.time())
        return Answer(response.status_code, _printable(text)), retry_after


def _printable(text: str) -> str:
    """The receiver's words, on one line and short: they end up in a message."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line if len(line) <= _REASON_CHARS else line[: _REASON_CHARS - 1] + "…"


def _kind(exc: BaseException) -> str:
    """What kind of transport failure ``exc`` is, without its text (it may quote the URL)."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, OSError) and current.strerror:
            return f"{type(exc).__name__}: {current.strerror}"
        current = current.__cause__ or current.__context__
    return type(exc).__name__
