"""The Slack message (pure): compact, inert, within Slack's limits."""

from __future__ import annotations

import json

from ops_schedule.publishing.sinks.base import Outgoing
from ops_schedule.publishing.sinks.slack_message import (
    CONTEXT_CHARS,
    FALLBACK_CHARS,
    HEADER_CHARS,
    SECTION_CHARS,
    slack_message,
)

DAILY = "daily_observability_report"
COMMENT = "https://github.example/acme/proxy/issues/7#issuecomment-1001"
OBSERVABILITY = {
    "job": DAILY,
    "period": "2026-11-26",
    "alert": "CRITICAL",
    "topFailures": [
        {"errorType": "TimeoutError", "count": 1204, "example": "timeout after 30000ms"},
        {"errorType": "ECONNRESET", "count": 88, "example": "socket hang up"},
        {"errorType": "RateLimited", "count": 12, "example": "429"},
        {"errorType": "Other", "count": 1, "example": "-"},
    ],
    "proposals": ["Raise the github MCP's timeout — p95 is 28 s", "Add a retry — 88 resets"],
}
DIGEST = {
    "job": "weekly_improvement_digest",
    "period": "2026-W48",
    "topCauses": [{"cause": "timeout after <n>ms", "count": 9, "share": 0.45}],
    "proposals": [{"action": "Tune the upstream timeout", "why": "9 incidents", "causes": []}],
}


def outgoing(data: dict, summary: str = "daily 2026-11-26: 48,213 events, 97.1% ok", **kw):
    return Outgoing(
        job=data["job"],
        period_key=data["period"],
        summary=summary,
        markdown="# report\n",
        data=data,
        json_text=json.dumps(data),
        archive_hint=f"logs/ops-reports/{data['job']}/{data['period']}.md",
        **kw,
    )


def texts(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_the_message_shows_the_alert_the_summary_the_top_findings_and_the_comment_link():
    payload = slack_message(outgoing(OBSERVABILITY, comment_url=COMMENT))
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": f":red_circle: CRITICAL · {DAILY} 2026-11-26",
            "emoji": True,
        },
    }
    assert blocks[1]["text"] == {
        "type": "plain_text",
        "text": "daily 2026-11-26: 48,213 events, 97.1% ok",
        "emoji": True,
    }
    findings = blocks[2]["text"]
    assert findings["type"] == "mrkdwn"
    assert findings["text"] == (
        "*Top findings*\n• `TimeoutError` × 1,204\n• `ECONNRESET` × 88\n• `RateLimited` × 12"
    )
    assert "`Raise the github MCP's timeout — p95 is 28 s`" in blocks[3]["text"]["text"]
    context = blocks[4]["elements"][0]["text"]
    assert context.startswith(f"<{COMMENT}|Full report on GitHub>")
    assert f"`logs/ops-reports/{DAILY}/2026-11-26.md`" in context
    assert payload["text"] == "CRITICAL: daily 2026-11-26: 48,213 events, 97.1% ok"
    assert payload["mrkdwn"] is False
    assert payload["unfurl_links"] is False


def test_the_digest_shows_its_top_causes_with_their_share_and_no_alert_level():
    payload = slack_message(outgoing(DIGEST, summary="digest 2026-W48: 20 incidents"), "ja")
    assert payload["blocks"][0]["text"]["text"] == "weekly_improvement_digest 2026-W48"
    findings = payload["blocks"][2]["text"]["text"]
    assert findings == "*主な検出事項*\n• `timeout after &lt;n&gt;ms` × 9 (45%)"
    assert "`Tune the upstream timeout`" in payload["blocks"][3]["text"]["text"]
    assert payload["text"] == "digest 2026-W48: 20 incidents"


def test_without_a_comment_there_is_no_link():
    payload = slack_message(outgoing(OBSERVABILITY))
    assert "<http" not in texts(payload)


def test_data_can_neither_mention_nor_link_nor_restyle():
    hostile = {
        **OBSERVABILITY,
        "topFailures": [
            {"errorType": "<!channel> <@U024BE7LH> <https://evil.example|click>", "count": 1},
            {"errorType": "`*bold*` _it_ ~s~ &amp;", "count": 2},
        ],
        "proposals": ["<!here> ```breakout```"],
    }
    payload = slack_message(
        outgoing(hostile, summary="<!channel> *all* fine"),
        "en",
    )
    mrkdwn = [
        element["text"]
        for block in payload["blocks"]
        for element in [block.get("text", {}), *block.get("elements", [])]
        if element.get("type") == "mrkdwn"
    ]
    joined = "\n".join(mrkdwn)
    # Slack's only control characters are escaped; what is left sits inside code spans.
    assert "<!" not in joined
    assert "<@" not in joined
    assert "<https://evil" not in joined
    assert "`&lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;https://evil.example|click&gt;`" in joined
    assert "`ˋ*bold*ˋ _it_ ~s~ &amp;amp;`" in joined
    assert "`&lt;!here&gt; ˋˋˋbreakoutˋˋˋ`" in joined
    # The summary is plain text, which Slack never formats.
    assert payload["blocks"][1]["text"] == {
        "type": "plain_text",
        "text": "<!channel> *all* fine",
        "emoji": True,
    }
    assert payload["mrkdwn"] is False


def test_a_comment_url_that_could_break_the_link_is_left_out():
    payload = slack_message(outgoing(OBSERVABILITY, comment_url="https://x.example/a|b>c"))
    assert "x.example" not in texts(payload)


def test_huge_data_stays_within_slacks_limits():
    huge = {
        **OBSERVABILITY,
        "job": DAILY * 10,
        "topFailures": [{"errorType": "E" * 50_000, "count": 10**12}] * 500,
        "proposals": ["P" * 50_000] * 500,
    }
    payload = slack_message(outgoing(huge, summary="S" * 100_000), "en")
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= HEADER_CHARS
    for block in blocks[1:]:
        if "text" in block:
            assert len(block["text"]["text"]) <= SECTION_CHARS
        for element in block.get("elements", []):
            assert len(element["text"]) <= CONTEXT_CHARS
    assert len(payload["text"]) <= FALLBACK_CHARS
    assert len(json.dumps(payload)) < 40_000


def test_malformed_data_gives_a_message_all_the_same():
    odd = {"job": DAILY, "period": "p", "alert": "PANIC", "topFailures": "x", "proposals": [3]}
    payload = slack_message(outgoing(odd, summary="s"))
    assert [block["type"] for block in payload["blocks"]] == ["header", "section", "context"]
    assert payload["blocks"][0]["text"]["text"] == f"{DAILY} p"
