"""Slack sink: a compact message per job and period through an incoming webhook.

The message is built by :mod:`slack_message` (pure); this module posts it, retried like GitHub's
posts (:mod:`http`). An incoming webhook cannot tell a repeat from a new message, so the delivery
ledger keeps a retried run from posting twice (``idempotent`` is False). The webhook URL is the
credential: it is held in one private attribute and never appears in a message or a ``repr``.
"""

from __future__ import annotations

import json
import logging

from ops_schedule.config import Locale
from ops_schedule.errors import SinkError
from ops_schedule.logfields import log_fields
from ops_schedule.publishing.sinks.base import Delivered, Outgoing, RetryHook
from ops_schedule.publishing.sinks.http import Receiver, Refused, post_json
from ops_schedule.publishing.sinks.slack_message import slack_message

log = logging.getLogger(__name__)

# What Slack's answers mean (its own words: invalid_payload, no_service, channel_not_found …).
_HINTS = {
    400: "Slack could not read the message; the report is archived",
    403: "the webhook may not post to its channel (action_prohibited, posting restrictions)",
    404: "the webhook URL is wrong or was revoked: create a new incoming webhook",
    410: "the webhook's channel was archived or the app removed: create a new webhook",
}


class SlackSink:
    """Posts each job-period's summary to one Slack incoming webhook."""

    __slots__ = ("_on_retry", "_receiver", "locale")
    name = "slack"
    idempotent = False

    def __init__(
        self,
        url: str,
        *,
        max_retry_seconds: float,
        locale: Locale = "en",
        on_retry: RetryHook | None = None,
    ) -> None:
        self._receiver = Receiver("Slack", url, max_retry_seconds)
        self._on_retry = on_retry
        self.locale = locale

    def __repr__(self) -> str:
        return "SlackSink(url=<secret>)"

    def deliver(self, outgoing: Outgoing) -> Delivered:
        body = json.dumps(slack_message(outgoing, self.locale), ensure_ascii=False).encode()
        try:
            post_json(
                self._receiver,
                body,
                {"Content-Type": "application/json; charset=utf-8"},
                on_retry=self._on_retry,
            )
        except Refused as exc:
            hint = _HINTS.get(exc.status, "check the incoming webhook in Slack's app settings")
            raise SinkError(
                f"Slack refused the message for {outgoing.job} {outgoing.period_key} "
                f"({exc}): {hint} (archived at {outgoing.archive_hint})",
                permanent=True,
            ) from None
        log.info(
            "Posted %s %s to Slack",
            outgoing.job,
            outgoing.period_key,
            extra=log_fields(outgoing.job, outgoing.period_key, sink=self.name),
        )
        return Delivered(url=None, created=True)
