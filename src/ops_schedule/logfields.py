"""The fields a log line carries besides its message, so that a JSON log can be filtered on
them (``--log-format json``; docs/operations.md, "Log fields").

Pass the result as ``extra=`` to a logging call: ``log.info("…", extra=log_fields(job, …))``.
"""

from __future__ import annotations


def log_fields(
    job: str,
    period: str | None = None,
    *,
    status: str | None = None,
    duration: float | None = None,
    sink: str | None = None,
    ping: str | None = None,
) -> dict[str, object]:
    """``job``, ``period``, ``status``, ``durationMs`` (whole milliseconds), ``sink``,
    ``ping``: those given."""
    fields: dict[str, object] = {"job": job}
    if period is not None:
        fields["period"] = period
    if status is not None:
        fields["status"] = status
    if duration is not None:
        fields["durationMs"] = round(duration * 1000)
    if sink is not None:
        fields["sink"] = sink
    if ping is not None:
        fields["ping"] = ping
    return fields
