"""The Slack message of a result: a compact summary in Block Kit, within Slack's limits.

PURE: from an :class:`Outgoing` (already redacted) to the JSON payload of an incoming webhook.
What it shows: the alert level (observability reports), the one-line summary, the top findings
(failure types or incident causes), the first proposals, and a link to the dashboard comment
when GitHub took the result (docs/operations.md, "Slack").

Data is inert (docs/design.md, "Delivery"): the summary and the header are ``plain_text``, which
Slack never formats; values from the logs in ``mrkdwn`` sections are code spans with ``&``,
``<`` and ``>`` escaped, so no value can mention (``<!channel>``), link or restyle.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ops_schedule.config import Locale
from ops_schedule.publishing.sinks.base import Outgoing

# Slack's limits (Block Kit reference): a header's text 150 characters, a section's 3,000, a
# context element's 2,000, 50 blocks; the top-level text is cut by Slack past 40,000.
HEADER_CHARS = 150
SECTION_CHARS = 3000
CONTEXT_CHARS = 2000
FALLBACK_CHARS = 3000
TOP_FINDINGS = 3
TOP_PROPOSALS = 3
VALUE_CHARS = 120

ALERT_EMOJI = {
    "CRITICAL": ":red_circle:",
    "WARNING": ":large_yellow_circle:",
    "OK": ":white_check_mark:",
}
_LINKABLE = re.compile(r"https?://[^\s<>|`]+")

_WORDS: dict[Locale, dict[str, str]] = {
    "en": {
        "findings": "Top findings",
        "proposals": "Proposals",
        "comment": "Full report on GitHub",
        "archived": "Archived at",
    },
    "ja": {
        "findings": "主な検出事項",
        "proposals": "改善提案",
        "comment": "GitHub の全文",
        "archived": "保存先",
    },
}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's three control characters, escaped: no mention, link or channel ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(value: object, limit: int = VALUE_CHARS) -> str:
    """A value from the data as an inert code span on one line."""
    text = " ".join(str(value).split()).replace("`", "ˋ")
    return f"`{escape(clip(text, limit))}`"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def _mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_CHARS)}}


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "?"


def findings(data: Mapping[str, Any]) -> list[str]:
    """The top failure types (observability) or incident causes (digest), as mrkdwn lines."""
    lines = [
        f"• {code(row.get('errorType'))} × {_count(row.get('count'))}"
        for row in _rows(data.get("topFailures"))[:TOP_FINDINGS]
    ]
    for row in _rows(data.get("topCauses"))[:TOP_FINDINGS]:
        share = row.get("share")
        finite = isinstance(share, int | float) and math.isfinite(share)
        percent = f" ({share:.0%})" if finite else ""
        lines.append(f"• {code(row.get('cause'))} × {_count(row.get('count'))}{percent}")
    return lines


def proposals(data: Mapping[str, Any]) -> list[str]:
    """The first proposals (observability: sentences; digest: objects with an action)."""
    raw = data.get("proposals")
    texts = []
    for item in raw if isinstance(raw, list) else []:
        text = item.get("action") if isinstance(item, dict) else item
        if isinstance(text, str) and text.strip():
            texts.append(f"• {code(text, 280)}")
    return texts[:TOP_PROPOSALS]


def _rows(value: object) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def alert_level(data: Mapping[str, Any]) -> str | None:
    alert = data.get("alert")
    return alert if isinstance(alert, str) and alert in ALERT_EMOJI else None


def slack_message(outgoing: Outgoing, locale: Locale = "en") -> dict[str, Any]:
    """The incoming-webhook payload for ``outgoing``."""
    words = _WORDS[locale]
    data = outgoing.data
    alert = alert_level(data)
    title = f"{outgoing.job} {outgoing.period_key}"
    if alert is not None:
        title = f"{ALERT_EMOJI[alert]} {alert} · {title}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(title, HEADER_CHARS)},
        {"type": "section", "text": _plain(outgoing.summary, SECTION_CHARS)},
    ]
    if found := findings(data):
        blocks.append(_mrkdwn_section(f"*{words['findings']}*\n" + "\n".join(found)))
    if proposed := proposals(data):
        blocks.append(_mrkdwn_section(f"*{words['proposals']}*\n" + "\n".join(proposed)))
    context = []
    if outgoing.comment_url and _LINKABLE.fullmatch(outgoing.comment_url):
        context.append(f"<{outgoing.comment_url}|{words['comment']}>")
    if outgoing.archive_hint:
        context.append(f"{words['archived']} {code(outgoing.archive_hint, 300)}")
    if context:
        text = clip("  ·  ".join(context), CONTEXT_CHARS)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    fallback = outgoing.summary if alert is None else f"{alert}: {outgoing.summary}"
    return {
        # The notification text: shown as written, never formatted (mrkdwn off).
        "text": clip(fallback, FALLBACK_CHARS),
        "mrkdwn": False,
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
