"""The sink seam: what every place a result goes to is given, and what it gives back.

A job never knows its sinks: publishing hands each configured sink one :class:`Outgoing` (every
text already redacted) and records what it answered (docs/design.md, "Delivery").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Posted:
    url: str
    created: bool  # False when an earlier comment with the same marker was found and reused


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One job-period's result as it may leave the process: every text is redacted."""

    job: str
    period_key: str
    summary: str  # one line
    markdown: str
    data: Mapping[str, Any] = field(default_factory=dict)  # the JSON contract
    json_text: str = "{}\n"  # the same, as archived
    archive_hint: str = ""  # the archived Markdown file, for notes and messages
    comment_url: str | None = None  # the dashboard comment, once GitHub has it
    digest: str = ""  # identifies the content: a rerun with other numbers has another


@dataclass(frozen=True, slots=True)
class Delivered:
    url: str | None  # where the result can be read (the GitHub comment), if anywhere
    created: bool  # False when the receiver already had it


# (seconds to wait, whether the receiver asked for the wait: a rate limit)
RetryHook = Callable[[float, bool], None]


class Sink(Protocol):
    """A place results go: the dashboard issue, Slack, a webhook."""

    @property
    def name(self) -> str:
        """``github``, ``slack``, ``webhook``: the label in logs and metrics, never a URL."""
        ...

    @property
    def idempotent(self) -> bool:
        """Whether the receiver itself recognises a result it already has (GitHub's marker);
        the others are kept from receiving one twice by the delivery ledger."""
        ...

    def deliver(self, outgoing: Outgoing) -> Delivered:
        """Send ``outgoing`` once; raises ``SinkError`` when it cannot (after retries)."""
        ...
