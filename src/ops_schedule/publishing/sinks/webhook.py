"""Generic webhook sink: the report's JSON contract, POSTed as it is archived, optionally signed.

The body is the archived ``<period>.json`` byte for byte (redacted; docs/reports.md and
docs/digest.md describe it). Headers (docs/operations.md, "Webhook"):

* ``X-Ops-Schedule-Job``, ``X-Ops-Schedule-Period``: what the body is;
* ``Idempotency-Key``: the same for every attempt to deliver this content for this period, so a
  receiver that honours it drops a repeat (a retry after a lost answer, a rerun of the run);
* ``X-Ops-Schedule-Signature-256: sha256=<hex>``: HMAC-SHA256 of the body with the configured
  secret, when there is one (the scheme of GitHub's webhooks);
* ``X-Ops-Schedule-Comment-Url``: the dashboard comment, when GitHub took the result.

Retried like GitHub's posts (:mod:`http`); the URL and the secret are never shown.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from ops_schedule.errors import SinkError
from ops_schedule.logfields import log_fields
from ops_schedule.publishing.sinks.base import Delivered, Outgoing, RetryHook
from ops_schedule.publishing.sinks.http import Receiver, Refused, post_json

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Ops-Schedule-Signature-256"


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def idempotency_key(outgoing: Outgoing) -> str:
    return f"ops-schedule:{outgoing.job}:{outgoing.period_key}:{outgoing.digest[:16]}"


def webhook_headers(outgoing: Outgoing, body: bytes, secret: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Ops-Schedule-Job": outgoing.job,
        "X-Ops-Schedule-Period": outgoing.period_key,
        "Idempotency-Key": idempotency_key(outgoing),
    }
    if outgoing.comment_url and outgoing.comment_url.isascii():
        headers["X-Ops-Schedule-Comment-Url"] = outgoing.comment_url
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    return headers


class WebhookSink:
    """POSTs each job-period's JSON to one receiver."""

    __slots__ = ("_on_retry", "_receiver", "_secret")
    name = "webhook"
    idempotent = False  # the receiver may honour Idempotency-Key; the ledger does not rely on it

    def __init__(
        self,
        url: str,
        *,
        secret: str | None,
        max_retry_seconds: float,
        on_retry: RetryHook | None = None,
    ) -> None:
        self._receiver = Receiver("the webhook", url, max_retry_seconds)
        self._secret = secret
        self._on_retry = on_retry

    def __repr__(self) -> str:
        return f"WebhookSink(url=<secret>, signed={self._secret is not None})"

    def deliver(self, outgoing: Outgoing) -> Delivered:
        body = outgoing.json_text.encode()
        try:
            post_json(
                self._receiver,
                body,
                webhook_headers(outgoing, body, self._secret),
                on_retry=self._on_retry,
            )
        except Refused as exc:
            raise SinkError(
                f"the webhook refused the report for {outgoing.job} {outgoing.period_key} "
                f"({exc}); the report is archived at {outgoing.archive_hint}",
                permanent=True,
            ) from None
        log.info(
            "Posted %s %s to the webhook",
            outgoing.job,
            outgoing.period_key,
            extra=log_fields(outgoing.job, outgoing.period_key, sink=self.name),
        )
        return Delivered(url=None, created=True)
