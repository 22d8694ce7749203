"""Small event logs for tests: hand-written lines and seeded random logs with every oddity."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
TOKYO_OFFSET = timezone(timedelta(hours=9))

MCPS = ("github", "slack", "notion", "search")
ERRORS = ("TimeoutError", "RateLimited", "", None)
MALFORMED = (
    b"",
    b"   ",
    b"not json",
    b'{"timestamp": "2026-11-25T01:00:00Z", "status": "ok"',  # cut off
    b"\xff\xfe{}",
    b'{"status": "ok"}',
    b'{"timestamp": "yesterday", "status": "ok"}',
    b'{"timestamp": "2026-11-25T01:00:00", "status": "ok"}',  # no zone
    b"[1, 2, 3]",
)


def stamp(at: datetime, *, tokyo: bool = False, millis: bool = True) -> str:
    if tokyo:
        return at.astimezone(TOKYO_OFFSET).isoformat(timespec="milliseconds" if millis else "auto")
    text = at.astimezone(UTC).isoformat(timespec="milliseconds" if millis else "auto")
    return text.replace("+00:00", "Z")


def event(at: datetime, status: str = "ok", **fields: Any) -> bytes:
    return json.dumps({"timestamp": stamp(at), "status": status, **fields}).encode()


def write_lines(
    path: Path, lines: list[bytes], *, newline: bytes = b"\n", final: bool = True
) -> Path:
    data = newline.join(lines) + (newline if final and lines else b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def random_lines(
    rng: random.Random,
    count: int,
    start: datetime,
    span: timedelta,
    *,
    disorder: timedelta = timedelta(seconds=30),
    malformed: float = 0.03,
) -> list[bytes]:
    """``count`` lines in rough time order from ``start`` over ``span``, with every oddity."""
    lines: list[bytes] = []
    step = span / max(count, 1)
    for i in range(count):
        if rng.random() < malformed:
            lines.append(rng.choice(MALFORMED))
            continue
        at = start + step * i + timedelta(seconds=rng.uniform(0, disorder.total_seconds()))
        at = at.replace(microsecond=rng.choice((0, 1000 * rng.randrange(1000))))
        fields: dict[str, Any] = {"timestamp": stamp(at, tokyo=rng.random() < 0.2)}
        fields["status"] = "fail" if rng.random() < 0.2 else "ok"
        if rng.random() < 0.01:
            fields["status"] = "maybe"
        fields["type"] = "internal_mcp_tool_call"
        if rng.random() < 0.8:
            fields["mcpName"] = rng.choice(MCPS)
            if rng.random() < 0.9:
                fields["durationMs"] = rng.choice((rng.randrange(2000), rng.random() * 100))
        if fields["status"] == "fail":
            error = rng.choice(ERRORS)
            if error is not None:
                fields["errorType"] = error
            if rng.random() < 0.8:
                fields["errorMessage"] = f"failed #{i} token=ghp_{'a' * 24}"
        if rng.random() < 0.03:
            fields["metadata"] = {
                "circuit": rng.choice(("open", "half-open", "closed")),
                "mcp": rng.choice(MCPS),
            }
        lines.append(json.dumps(fields).encode())
    return lines
