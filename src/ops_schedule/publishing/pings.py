"""Dead-man's-switch pings: the start, success and failure of each job's run.

A ping service (healthchecks.io, Cronitor, an Uptime Kuma push monitor) pages someone when a
run that should have happened did not, or failed. How each event is told (docs/operations.md,
"Pings"; ``rid``/``series`` pair a start with its end when several jobs share one check):

=============  ==================================  =========================================
service        start                               success / failure
=============  ==================================  =========================================
healthchecks   POST ``<url>/start?rid=R``          POST ``<url>/0?rid=R`` / ``<url>/fail?rid=R``,
                                                   the summary / the error as the body
cronitor       GET ``<url>?state=run&series=R``    GET ``?state=complete`` / ``?state=fail``,
                                                   ``&message=`` the summary / the error
uptime-kuma    (a push monitor has no start)       GET ``?status=up`` / ``?status=down``,
                                                   ``&msg=`` …, ``&ping=`` the run in ms
=============  ==================================  =========================================

A ping never fails a job (docs/design.md, "Watched from outside"): each attempt has a short
deadline, a failed one is tried again a few times (1 s, 2 s, 4 s … apart), and a ping that
still fails is logged (without its URL, which is the check's credential) and counted.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ops_schedule import __version__
from ops_schedule.config.monitoring import PingService
from ops_schedule.logfields import log_fields
from ops_schedule.publishing.telemetry import PingEvent, Recorder

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

BODY_CHARS = 10_000  # healthchecks keeps the first 100 kB of a body; a summary is one line
MESSAGE_CHARS = {"cronitor": 2000, "uptime-kuma": 250}  # their query parameters' limits


@dataclass(frozen=True, slots=True)
class PingRequest:
    method: Literal["GET", "POST"]
    url: str = field(repr=False)  # a secret
    body: bytes | None = None


def _with(url: str, *, suffix: str = "", params: dict[str, str]) -> str:
    """``url`` with ``suffix`` added to its path and ``params`` set in its query (a copied
    Uptime Kuma URL already holds ``status=up&msg=OK&ping=``: those are replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    path = parts.path.rstrip("/") + suffix if suffix else parts.path
    return urlunsplit(parts._replace(path=path, query=urlencode(query)))


def ping_request(
    service: PingService,
    url: str,
    event: PingEvent,
    *,
    text: str = "",
    run_id: str,
    duration: float | None = None,
) -> PingRequest | None:
    """PURE: the request that tells ``service`` of ``event``; None when it has no such event."""
    if service == "healthchecks":
        suffix = {"start": "/start", "success": "/0", "failure": "/fail"}[event]
        body = None if event == "start" else text[:BODY_CHARS].encode()
        return PingRequest("POST", _with(url, suffix=suffix, params={"rid": run_id}), body)
    message = text[: MESSAGE_CHARS[service]]
    if service == "cronitor":
        state = {"start": "run", "success": "complete", "failure": "fail"}[event]
        params = {"state": state, "series": run_id}
        if event != "start":
            params["message"] = message
            if duration is not None:
                params["metric"] = f"duration:{duration:.3f}"
        return PingRequest("GET", _with(url, params=params))
    if event == "start":
        return None  # an Uptime Kuma push monitor knows only up and down
    params = {"status": "up" if event == "success" else "down", "msg": message}
    params["ping"] = f"{round(duration * 1000)}" if duration is not None else ""
    return PingRequest("GET", _with(url, params=params))


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, …) of a ping."""
    return float(2 ** (attempt - 1))


class Pings(Protocol):
    """What the runner tells about one run; none of these ever raises."""

    def start(self) -> None: ...
    def finish(self, *, ok: bool, text: str, duration: float) -> None: ...


class NoPings:
    """A job without a ping URL."""

    def start(self) -> None:
        pass

    def finish(self, *, ok: bool, text: str, duration: float) -> None:
        pass


class Pinger:
    """Pings one URL for one run of ``job`` (``period_key``)."""

    def __init__(
        self,
        service: PingService,
        url: str,
        *,
        job: str,
        period_key: str,
        timeout: float,
        retries: int,
        recorder: Recorder,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self._url = url
        self.job = job
        self.period_key = period_key
        self.timeout = timeout
        self.retries = retries
        self.recorder = recorder
        self.sleep = sleep
        self.run_id = str(uuid.uuid4())

    def __repr__(self) -> str:
        return f"Pinger(service={self.service!r}, job={self.job!r}, url=<secret>)"

    def start(self) -> None:
        self._tell("start", "", None)

    def finish(self, *, ok: bool, text: str, duration: float) -> None:
        self._tell("success" if ok else "failure", text, duration)

    def _tell(self, event: PingEvent, text: str, duration: float | None) -> None:
        try:
            request = ping_request(
                self.service, self._url, event, text=text, run_id=self.run_id, duration=duration
            )
            if request is None:
                return
            problem = self._send(request)
        except Exception as exc:  # noqa: BLE001 - a ping must never fail the run
            problem = f"cannot ping ({type(exc).__name__})"
        self.recorder.ping(event, problem is None)
        if problem is not None:
            log.warning(
                "%s %s: the %s ping to %s failed (%s); the run goes on",
                self.job,
                self.period_key,
                event,
                self.service,
                problem,
                extra=log_fields(self.job, self.period_key, ping=event),
            )

    def _send(self, request: PingRequest) -> str | None:
        """None once the service took the ping, else why the last attempt failed."""
        import httpx  # only a run that pings pays for the HTTP stack

        problem: str | None = None
        with httpx.Client(
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": f"ops-schedule/{__version__}"},
        ) as client:
            for attempt in range(self.retries + 1):
                if attempt:
                    self.sleep(backoff(attempt))
                problem, again = _attempt(client, request, self.timeout)
                if problem is None or not again:
                    return problem
        return problem


def _attempt(client: httpx.Client, request: PingRequest, timeout: float) -> tuple[str | None, bool]:
    """(why it failed or None, whether another attempt may help)."""
    import httpx

    from ops_schedule.deadline import DeadlinePassed, within

    def send() -> int:
        # Only the status matters; the answer's body is never read.
        with client.stream(request.method, request.url, content=request.body) as response:
            return response.status_code

    try:
        status = within(timeout, send, name="ping")
    except DeadlinePassed:
        return f"no answer within {timeout:g} s", True
    except httpx.TimeoutException:
        return "no answer in time", True
    except httpx.HTTPError as exc:
        return f"connection failed ({type(exc).__name__})", True
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return None, False
    again = status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR
    return f"answered {status}", again
