"""The one way out: redact, archive, then hand to the sinks."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ops_schedule.errors import SinkError
from ops_schedule.fsutil import atomic_write_text, remove_stale_temp_files, temp_pattern
from ops_schedule.logfields import log_fields
from ops_schedule.publishing.ledger import DeliveryLedger
from ops_schedule.publishing.sinks.base import Delivered, Outgoing, Sink
from ops_schedule.publishing.telemetry import Recorder
from ops_schedule.redaction import Redactor
from ops_schedule.reports.base import Report

log = logging.getLogger(__name__)


def redact_data(value: Any, redactor: Redactor) -> Any:
    """Redact every string (keys included) inside a JSON-shaped value."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {redactor.redact(str(k)): redact_data(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, redactor) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Rendered:
    """A report's two outgoing texts, redacted."""

    markdown: str  # ends with a newline
    json: str  # ends with a newline


def render_redacted(report: Report, redactor: Redactor) -> Rendered:
    """The Markdown and JSON texts of ``report`` as they may leave the process."""
    markdown = redactor.redact(report.markdown).rstrip("\n") + "\n"
    data = redact_data(report.data, redactor)
    return Rendered(markdown, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def archive_paths(output_dir: Path, job: str, period_key: str) -> tuple[Path, Path]:
    base = output_dir / job / period_key
    return base.with_suffix(".md"), base.with_suffix(".json")


@dataclass(frozen=True, slots=True)
class Archived:
    """A report written to the archive: where, and what may now leave the process."""

    markdown_path: Path
    json_path: Path
    outgoing: Outgoing


def archive(report: Report, output_dir: Path, redactor: Redactor) -> Archived:
    """Write ``report`` (both formats), redacted, to ``output_dir/<job>/<period>.{md,json}``.

    Temp files left in the job's archive directory by a run that was killed while writing are
    removed first (the caller holds the job's claim, so no other run of the job is writing
    there).
    """
    rendered = render_redacted(report, redactor)
    md_path, json_path = archive_paths(output_dir, report.job, report.period_key)
    remove_stale_temp_files(md_path.parent, [temp_pattern("*.md"), temp_pattern("*.json")])
    atomic_write_text(md_path, rendered.markdown)
    atomic_write_text(json_path, rendered.json)
    digest = hashlib.sha256(f"{rendered.markdown}\0{rendered.json}".encode()).hexdigest()
    outgoing = Outgoing(
        job=report.job,
        period_key=report.period_key,
        summary=redactor.redact(report.summary),
        markdown=rendered.markdown,
        data=json.loads(rendered.json),
        json_text=rendered.json,
        archive_hint=str(md_path),
        digest=digest,
    )
    return Archived(md_path, json_path, outgoing)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the sinks did with one result."""

    comment_url: str | None = None  # the dashboard comment, when GitHub took the result
    delivered: dict[str, Delivered] = field(default_factory=dict)


def deliver(
    outgoing: Outgoing,
    sinks: Sequence[Sink],
    *,
    ledger: DeliveryLedger | None = None,
    recorder: Recorder | None = None,
) -> Delivery:
    """Hand ``outgoing`` to every sink, in order; raise one ``SinkError`` naming each failure.

    A sink that fails does not keep the others from their delivery. A later sink gets the
    dashboard comment's URL once GitHub has answered. A sink that cannot recognise a repeat
    itself is skipped when the ledger says it already has this content (docs/design.md,
    "Delivery").
    """
    recorder = recorder or Recorder()
    delivered: dict[str, Delivered] = {}
    failures: list[SinkError] = []
    comment_url: str | None = None
    for sink in sinks:
        current = _with_comment(outgoing, comment_url)
        remembers = None if sink.idempotent else ledger  # GitHub finds its own marker
        if remembers is not None and remembers.has(outgoing.period_key, sink.name, outgoing.digest):
            log.info(
                "%s %s: %s already has this result",
                outgoing.job,
                outgoing.period_key,
                sink.name,
                extra=log_fields(outgoing.job, outgoing.period_key, sink=sink.name),
            )
            recorder.outcome(sink.name, "reused")
            continue
        try:
            answer = sink.deliver(current)
        except SinkError as exc:
            recorder.outcome(sink.name, "failed")
            failures.append(exc)
            continue
        if remembers is not None:
            _remember(remembers, outgoing, sink.name)
        recorder.outcome(sink.name, "posted" if answer.created else "reused")
        delivered[sink.name] = answer
        if answer.url and comment_url is None:
            comment_url = answer.url
    if failures:
        message = "; ".join(str(exc) for exc in failures)
        raise SinkError(message, permanent=all(exc.permanent for exc in failures))
    return Delivery(comment_url, delivered)


def _with_comment(outgoing: Outgoing, comment_url: str | None) -> Outgoing:
    return outgoing if comment_url is None else replace(outgoing, comment_url=comment_url)


def _remember(ledger: DeliveryLedger, outgoing: Outgoing, sink: str) -> None:
    try:
        ledger.add(outgoing.period_key, sink, outgoing.digest)
    except OSError as exc:
        # Delivered all the same; the cost is a repeat should this period run again.
        log.warning(
            "cannot record the delivery to %s in %s: %s",
            sink,
            ledger.path,
            exc.strerror,
            extra=log_fields(outgoing.job, outgoing.period_key, sink=sink),
        )


@dataclass(frozen=True, slots=True)
class Published:
    markdown_path: Path
    json_path: Path
    delivery: Delivery


def publish(
    report: Report,
    output_dir: Path,
    redactor: Redactor,
    sinks: Sequence[Sink] = (),
    *,
    ledger: DeliveryLedger | None = None,
    recorder: Recorder | None = None,
) -> Published:
    """Archive ``report`` (both formats) after redaction, then deliver it to ``sinks``.

    The archive is written first so a failed delivery never loses the report.
    """
    archived = archive(report, output_dir, redactor)
    delivery = deliver(archived.outgoing, sinks, ledger=ledger, recorder=recorder)
    return Published(archived.markdown_path, archived.json_path, delivery)
