"""Event-log lines and incident records that once stopped a report, or could: one of each kind
of hostile value.

Each entry says what the reader must make of the line when its timestamp (if readable) lies
inside the report's window: an ``event`` (counted; a hostile optional field is ignored),
``malformed`` (skipped and counted), or ``ignored`` (a readable timestamp outside every window).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from event_fixtures import stamp

Outcome = Literal["event", "malformed", "ignored"]

_FAR_FUTURE = "9999-12-31T23:59:59-01:00"  # in UTC: past the year 9999
_FAR_PAST = "0001-01-01T00:00:00+01:00"  # in UTC: before the year 1

# (name, fields other than a valid in-window timestamp, outcome); "timestamp" overrides it.
_CASES: tuple[tuple[str, dict[str, Any], Outcome], ...] = (
    ("timestamp past year 9999 in UTC", {"timestamp": _FAR_FUTURE}, "malformed"),
    ("timestamp before year 1 in UTC", {"timestamp": _FAR_PAST}, "malformed"),
    ("timestamp at the end of year 9999 UTC", {"timestamp": "9999-12-31T23:59:59Z"}, "ignored"),
    ("timestamp at the start of year 1 UTC", {"timestamp": "0001-01-01T00:00:00Z"}, "ignored"),
    (
        "circuit opened at the start of year 1 UTC",
        {"timestamp": "0001-01-01T00:00:00Z", "metadata": {"circuit": "open", "mcp": "ancient"}},
        "ignored",
    ),
    ("timestamp a number", {"timestamp": 1764028800}, "malformed"),
    ("timestamp huge number", {"timestamp": 1e308}, "malformed"),
    ("timestamp a list", {"timestamp": ["2026-11-25T01:00:00Z"]}, "malformed"),
    ("timestamp an object", {"timestamp": {"at": "2026-11-25T01:00:00Z"}}, "malformed"),
    ("timestamp null", {"timestamp": None}, "malformed"),
    ("timestamp true", {"timestamp": True}, "malformed"),
    ("timestamp empty", {"timestamp": ""}, "malformed"),
    ("status a list", {"status": ["ok"]}, "malformed"),
    ("status an object", {"status": {"ok": True}}, "malformed"),
    ("status a number", {"status": 1}, "malformed"),
    ("status null", {"status": None}, "malformed"),
    ("durationMs 1e308", {"mcpName": "github", "durationMs": 1e308}, "event"),
    ("durationMs -1e308", {"mcpName": "github", "durationMs": -1e308}, "event"),
    ("durationMs past 64 bits", {"mcpName": "github", "durationMs": 2**70}, "event"),
    ("durationMs past 63 bits", {"mcpName": "github", "durationMs": 2**63 + 1}, "event"),
    ("durationMs true", {"mcpName": "github", "durationMs": True}, "event"),
    ("durationMs a list", {"mcpName": "github", "durationMs": [12]}, "event"),
    ("durationMs an object", {"mcpName": "github", "durationMs": {"ms": 12}}, "event"),
    ("durationMs a string", {"mcpName": "github", "durationMs": "12"}, "event"),
    ("mcpName a list", {"mcpName": ["github"], "durationMs": 5}, "event"),
    ("mcpName an object", {"mcpName": {"name": "github"}}, "event"),
    ("mcpName a number", {"mcpName": 7}, "event"),
    ("errorType a list", {"status": "fail", "errorType": ["TimeoutError"]}, "event"),
    ("errorType an object", {"status": "fail", "errorType": {"t": 1}}, "event"),
    ("errorMessage a list", {"status": "fail", "errorMessage": ["boom"]}, "event"),
    ("errorMessage an object", {"status": "fail", "errorMessage": {"m": "boom"}}, "event"),
    ("errorMessage a number", {"status": "fail", "errorMessage": 1e308}, "event"),
    ("metadata circuit a list", {"metadata": {"circuit": ["open"], "mcp": "github"}}, "event"),
    ("metadata circuit an object", {"metadata": {"circuit": {"open": 1}, "mcp": "x"}}, "event"),
    ("metadata circuit a number", {"metadata": {"circuit": 1, "mcp": "github"}}, "event"),
    ("metadata mcp a list", {"metadata": {"circuit": "open", "mcp": ["github"]}}, "event"),
    ("metadata mcp an object", {"metadata": {"circuit": "open", "mcp": {"n": 1}}}, "event"),
    ("metadata a list", {"metadata": ["circuit", "open"]}, "event"),
    ("metadata a string", {"metadata": "circuit"}, "event"),
    ("metadata a number", {"metadata": 1e308}, "event"),
)


def hostile_lines(at: datetime) -> list[tuple[str, bytes, Outcome]]:
    """Every hostile line, with a readable timestamp of ``at`` unless the case replaces it."""
    cases = []
    for name, fields, outcome in _CASES:
        record = {"timestamp": stamp(at), "status": "ok", **fields}
        cases.append((name, json.dumps(record).encode(), outcome))
    cases.append(
        (
            "a lone surrogate",
            b'{"timestamp": "%s", "status": "ok", "mcpName": "\\ud800"}' % stamp(at).encode(),
            "malformed",
        )
    )
    cases.append(("nested past the parser's depth", b"[" * 5000 + b"]" * 5000, "malformed"))
    cases.append(
        ("a NUL byte", b'{"timestamp": "%s",\x00 "status": "ok"}' % stamp(at).encode(), "malformed")
    )
    return cases


def incident(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "incidentKey": "inc-1",
        "firstSeen": "2026-11-18T01:00:00Z",
        "lastSeen": "2026-11-18T02:00:00Z",
        "currentStatus": "resolved",
        "severity": "warn",
        "occurrenceCount": 3,
        "topReasons": ["timeout after 3012ms"],
        "affectedComponents": ["github"],
        "summary": "GitHub MCP slow",
    }
    return {**base, **fields}


# Incident records with one hostile field: (name, the field, True when the record is still valid)
HOSTILE_INCIDENTS: list[tuple[str, dict[str, object], bool]] = [
    ("incidentKey a list", {"incidentKey": ["a"]}, False),
    ("incidentKey an object", {"incidentKey": {"a": 1}}, False),
    ("incidentKey a number", {"incidentKey": 1e308}, False),
    ("firstSeen past year 9999 in UTC", {"firstSeen": "9999-12-31T23:59:59-01:00"}, False),
    ("firstSeen before year 1 in UTC", {"firstSeen": "0001-01-01T00:00:00+01:00"}, False),
    ("lastSeen past year 9999 in UTC", {"lastSeen": "9999-12-31T23:59:59-01:00"}, False),
    ("resolvedAt past year 9999 in UTC", {"resolvedAt": "9999-12-31T23:59:59-01:00"}, False),
    ("resolvedAt a number", {"resolvedAt": 1764028800}, False),
    ("firstSeen a list", {"firstSeen": ["2026-11-18T01:00:00Z"]}, False),
    ("firstSeen in year 1", {"firstSeen": "0001-01-01T00:00:00Z"}, False),
    ("a span of 8,000 years", {"firstSeen": "0002-01-01T00:00:00Z"}, True),
    ("currentStatus a list", {"currentStatus": ["resolved"]}, False),
    ("currentStatus an object", {"currentStatus": {"resolved": 1}}, False),
    ("severity a list", {"severity": ["warn"]}, False),
    ("occurrenceCount 1e308", {"occurrenceCount": 1e308}, False),
    ("occurrenceCount past 64 bits", {"occurrenceCount": 2**70}, False),
    ("occurrenceCount true", {"occurrenceCount": True}, False),
    ("occurrenceCount 2**64 - 1", {"occurrenceCount": 2**64 - 1}, True),
    ("topReasons a string", {"topReasons": "timeout"}, False),
    ("topReasons with an object", {"topReasons": [{"r": 1}]}, False),
    ("topReasons with a number", {"topReasons": [1e308]}, False),
    ("affectedComponents an object", {"affectedComponents": {"c": 1}}, False),
    ("summary a list", {"summary": ["s"]}, False),
    ("summary a number", {"summary": 5}, False),
    ("a reason of a megabyte", {"topReasons": ["x" * 1_000_000]}, True),
]
