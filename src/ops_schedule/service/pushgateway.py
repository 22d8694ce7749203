"""Push the metric families to a Prometheus Pushgateway.

One PUT to ``<url>/metrics/job/<job>[/instance/<instance>]`` replaces the whole group with the
families of this run, so a family that went away does not linger. The job and instance labels
are checked at load to need no escaping (``config/monitoring.py``). The URL is a secret (it may
carry credentials): a failure is described without it. A push is bounded by one deadline and
never retried: the next run pushes again.
"""

from __future__ import annotations

from http import HTTPStatus

from ops_schedule import __version__
from ops_schedule.errors import OpsScheduleError
from ops_schedule.service.exposition import CONTENT_TYPE


class PushError(OpsScheduleError):
    """The Pushgateway did not take the metrics; the message never holds the URL."""


def group_url(url: str, job: str, instance: str | None) -> str:
    """PURE: the URL of the group (``job`` and ``instance`` need no escaping)."""
    path = f"{url.rstrip('/')}/metrics/job/{job}"
    return path if instance is None else f"{path}/instance/{instance}"


def push(url: str, text: str, *, job: str, instance: str | None, timeout: float) -> None:
    """Replace the group's metrics with ``text``; raise :class:`PushError` if it fails."""
    import httpx  # only a run that pushes pays for the HTTP stack

    from ops_schedule.deadline import DeadlinePassed, within

    def send() -> tuple[int, str]:
        headers = {"Content-Type": CONTENT_TYPE, "User-Agent": f"ops-schedule/{__version__}"}
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            # Only the status matters: the answer's body is never read.
            client.stream(
                "PUT", group_url(url, job, instance), content=text.encode(), headers=headers
            ) as response,
        ):
            # The reason, for a refusal: the first bytes of the answer, never the whole of it.
            reason = b"" if response.is_success else next(response.iter_bytes(), b"")[:300]
            return response.status_code, reason.decode("utf-8", "replace")

    try:
        status, reason = within(timeout, send, name="push")
    except DeadlinePassed:
        raise PushError(f"the Pushgateway did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise PushError(f"cannot reach the Pushgateway ({type(exc).__name__})") from None
    if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        said = " ".join("".join(c if c.isprintable() else " " for c in reason).split())
        raise PushError(f"the Pushgateway answered {status}" + (f": {said}" if said else ""))
