"""Sample incident state (docs/digest.md), as the incident-lifecycle module writes it.

JSON Lines, several records per incident key as it evolves (opened, recurring, resolved); the
last record per key wins. A few incidents start before the digest's week, a few are still
active, and one is suppressed, so every branch of the digest has something to show. In the
last week timeouts are rarer, as if last week's proposal had worked, so the digest's
follow-up has something to report.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from ops_schedule.demo.catalogue import fake_token
from ops_schedule.timefmt import utc_iso

# (cause template, components, severity weights critical/warn/info)
_CAUSES: tuple[tuple[str, tuple[str, ...], tuple[int, int, int]], ...] = (
    ("timeout after {ms}ms", ("browser", "web-search"), (2, 5, 1)),
    ("429 rate limited by upstream", ("github", "notion", "embeddings"), (0, 4, 3)),
    ("ECONNREFUSED 10.0.{a}.{b}:443", ("postgres", "slack"), (3, 2, 0)),
    ("circuit open for {mcp}", ("browser", "notion"), (2, 2, 0)),
    ("401 Unauthorized: token {token} rejected", ("jira", "github"), (1, 2, 0)),
    ("disk usage above 90% on /var/log", ("proxy-host",), (0, 1, 2)),
)


def _reason(template: str, affected: list[str], rng: random.Random) -> str:
    return template.format(
        ms=rng.choice((3000, 5000, 30000)) + rng.randrange(20),
        a=rng.randrange(8),
        b=rng.randrange(2, 250),
        mcp=rng.choice(affected),
        token=fake_token(rng),
    )


_WEIGHTS = (6, 5, 3, 3, 1, 1)
_LAST_WEEK_WEIGHTS = (1, 5, 3, 3, 1, 1)  # timeouts fell after last week's proposal
INCIDENTS_PER_WEEK = 20


def write_incident_file(path: Path, *, end: datetime, seed: int = 0, weeks: int = 3) -> int:
    """Write incident records for the ``weeks`` weeks before ``end``; return the number of lines.

    Three weeks by default, so a weekly digest has a previous week to compare with whatever the
    weekday.
    """
    if end.tzinfo is None:
        raise ValueError("end must be an aware datetime")
    rng = random.Random(seed)  # noqa: S311 - sample data, reproducible by design
    records: list[tuple[datetime, dict[str, object]]] = []
    for number in range(INCIDENTS_PER_WEEK * weeks):
        first = end - timedelta(minutes=rng.randrange(10, weeks * 7 * 24 * 60))
        last_week = end - first < timedelta(days=7)
        weights = _LAST_WEEK_WEIGHTS if last_week else _WEIGHTS
        template, components, severities = rng.choices(_CAUSES, weights=weights)[0]
        severity = rng.choices(("critical", "warn", "info"), weights=severities)[0]
        affected = sorted(rng.sample(components, k=rng.randint(1, len(components))))
        key = f"{affected[0]}:{template.split()[0].lower()}:{number}"
        reasons = [_reason(template, affected, rng) for _ in range(rng.randint(1, 3))]
        record: dict[str, object] = {
            "incidentKey": key,
            "firstSeen": utc_iso(first),
            "lastSeen": utc_iso(first),
            "currentStatus": "active",
            "severity": severity,
            "occurrenceCount": 1,
            "topReasons": reasons[:1],
            "affectedComponents": affected,
            "summary": f"{reasons[0]} on {', '.join(affected)}",
            "lastNotifiedAt": utc_iso(first + timedelta(seconds=30)),
        }
        records.append((first, record))
        seen = first
        for _ in range(rng.randint(0, 4)):  # it recurs, and the state file is appended to
            seen = min(end - timedelta(seconds=1), seen + timedelta(minutes=rng.randrange(5, 240)))
            record = {
                **record,
                "lastSeen": utc_iso(seen),
                "occurrenceCount": int(str(record["occurrenceCount"])) + rng.randint(1, 20),
                "topReasons": reasons,
            }
            records.append((seen, record))
        roll = rng.random()
        if roll < 0.7:  # noqa: PLR2004 - most incidents get resolved within hours
            resolved = min(
                end - timedelta(seconds=1), seen + timedelta(minutes=rng.randrange(3, 600))
            )
            records.append(
                (resolved, {**record, "currentStatus": "resolved", "resolvedAt": utc_iso(resolved)})
            )
        elif roll < 0.8:  # noqa: PLR2004
            records.append((seen, {**record, "currentStatus": "suppressed"}))
    records.sort(key=lambda item: item[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for _, r in records))
    return len(records)
