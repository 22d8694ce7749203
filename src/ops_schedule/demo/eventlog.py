"""A fast, deterministic generator of realistic MCP-proxy event logs.

The lines follow docs/design.md, "The event log".

Speed matters: the benchmark writes ten million events with it. So the expensive part —
drawing an event's type, MCP, status, latency and message and serialising it with orjson — is
done once for a pool of event *bodies*; each line then only glues a timestamp and a run id to a
body picked at random from that pool. Per-MCP failure rates and latency distributions are
preserved because the pool is itself a random sample of them. Lines are written in chunks of
tens of thousands through one large buffer.

Traffic follows a working day in Tokyo (busy afternoons, quiet nights and weekends); inside
an hour events are spread evenly with a little jitter, and one in fifty is logged up to three
seconds late, as happens when several proxy workers share one log. Tool
calls are logged in UTC (``Z``), skill runs and router events in ``+09:00``, so readers must
handle both. Circuit-breaker incidents on the flaky MCPs add a burst of failures, an ``open``
transition, rejected calls, ``half-open``, a probe and ``closed``; the last incident may still
be open when the log ends.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from ops_schedule.demo.catalogue import (
    FLAKY,
    INTERNAL_ERRORS,
    MCPS,
    ROUTES,
    SKILLS,
    McpProfile,
    error_message,
)

_POOL_SIZE = 1 << 15
_CHUNK = 1 << 15
_LOCAL_OFFSET_MS = 9 * 3600 * 1000
_MALFORMED = (
    "",  # blank line
    "proxy worker 3 restarted (pid 48213)",  # not JSON
    '{"timestamp":"2026-01-01T00:00:00Z","type":"internal_mcp_tool_call","sta',  # truncated
    '{"type":"router_route","status":"ok","durationMs":2}',  # no timestamp
    '{"timestamp":"2026-01-01T00:00:00Z","type":"router_route","status":"maybe"}',  # bad status
    "\udcff\udcfe not utf-8",  # encoded with surrogateescape: bytes that are not UTF-8
)


def _latency(profile: McpProfile, rng: random.Random) -> int:
    value = rng.lognormvariate(math.log(profile.median_ms), profile.sigma)
    if rng.random() < 0.02:  # noqa: PLR2004 - a rare slow path (cold start, GC, retries upstream)
        value *= rng.paretovariate(1.6)
    return max(1, round(value))


def _weighted(pairs: tuple[tuple[str, float], ...], rng: random.Random) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _tool_call(rng: random.Random) -> dict[str, object]:
    profile = rng.choices(MCPS, weights=[m.weight for m in MCPS])[0]
    tool = rng.choice(profile.tools)
    event: dict[str, object] = {"type": "internal_mcp_tool_call", "mcpName": profile.name}
    event["toolName"] = tool
    if rng.random() >= profile.failure_rate:
        event["status"] = "ok"
        event["durationMs"] = _latency(profile, rng)
        return event
    error_type = _weighted(profile.errors, rng)
    event["status"] = "fail"
    message = error_message(error_type, profile.name, tool, rng)
    if error_type == "TimeoutError":
        event["durationMs"] = int(message.split()[-1].removesuffix("ms"))
    elif error_type != "ConnectionError":  # a refused connection has no meaningful duration
        event["durationMs"] = _latency(profile, rng)
    if error_type:
        event["errorType"] = error_type
    event["errorMessage"] = message
    return event


def _other_event(rng: random.Random) -> dict[str, object]:
    roll = rng.random()
    if roll < 0.55:  # noqa: PLR2004
        skill = rng.choice(SKILLS)
        failed = rng.random() < 0.02  # noqa: PLR2004
        event: dict[str, object] = {"type": "skill_run", "skillName": skill}
        event["status"] = "fail" if failed else "ok"
        event["durationMs"] = max(50, round(rng.lognormvariate(math.log(4000), 0.8)))
        if failed:
            event["errorType"] = "SkillError"
            event["errorMessage"] = f"skill {skill} aborted: step 3 returned no output"
        return event
    if roll < 0.995:  # noqa: PLR2004
        return {
            "type": "router_route",
            "status": "ok",
            "durationMs": rng.randrange(1, 6),
            "metadata": {"route": rng.choice(ROUTES)},
        }
    error_type = rng.choice(INTERNAL_ERRORS)
    return {
        "type": "error",
        "status": "fail",
        "errorType": error_type,
        "errorMessage": error_message(error_type, "", "", rng),
    }


def _body_pool(rng: random.Random, size: int) -> list[tuple[int, str]]:
    """(shift of the written clock in ms, the rest of the line after the milliseconds).

    The rest closes the timestamp with its zone and ends with the opening of the run id,
    whose value the writer appends: ``Z","type":…,"runId":"r``.
    """
    pool = []
    for _ in range(size):
        event = _tool_call(rng) if rng.random() < 0.8 else _other_event(rng)  # noqa: PLR2004
        local = event["type"] != "internal_mcp_tool_call"
        body = orjson.dumps(event).decode()[1:-1]
        zone = "+09:00" if local else "Z"
        pool.append((_LOCAL_OFFSET_MS if local else 0, f'{zone}",{body},"runId":"r'))
    return pool


def _iso(at_ms: int) -> str:
    seconds, millis = divmod(at_ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{millis:03d}Z"


def _line(at_ms: int, run_id: str, event: dict[str, object]) -> str:
    body = orjson.dumps(event).decode()
    return f'{{"timestamp":"{_iso(at_ms)}","runId":"{run_id}",{body[1:]}\n'


def _circuit_story(mcp: str, opened: int, *, recovers: bool) -> list[tuple[int, dict[str, object]]]:
    """Failures pile up, the breaker opens, calls are rejected, a probe succeeds, it closes."""
    timeout: dict[str, object] = {
        "type": "internal_mcp_tool_call",
        "status": "fail",
        "mcpName": mcp,
        "toolName": "search" if mcp == "web-search" else "navigate",
        "durationMs": 30_000,
        "errorType": "TimeoutError",
        "errorMessage": "timeout after 30000ms",
    }
    rejected: dict[str, object] = {
        "type": "internal_mcp_tool_call",
        "status": "fail",
        "mcpName": mcp,
        "errorType": "CircuitOpenError",
        "errorMessage": f"circuit open for {mcp}; call rejected",
    }
    story = [(opened - 110_000 + k * 9_000, timeout) for k in range(12)]
    story.append((opened, _transition(mcp, "open")))
    story.extend((opened + 5_000 + k * 10_000, rejected) for k in range(3))
    if recovers:
        probe = {"type": "internal_mcp_tool_call", "status": "ok", "mcpName": mcp}
        story.append((opened + 60_000, _transition(mcp, "half-open")))
        story.append((opened + 61_000, {**probe, "durationMs": 800}))
        story.append((opened + 62_000, _transition(mcp, "closed")))
    return story


def _incidents(
    rng: random.Random, start_ms: int, end_ms: int, budget: int
) -> list[tuple[int, str]]:
    """Circuit-breaker incidents as (time, line), at most ``budget`` lines, sorted by time."""
    span = end_ms - start_ms
    if budget < 20 or span < 3_600_000:  # noqa: PLR2004 - too small a log for a story
        return []
    days = max(1, span // 86_400_000)
    specials: list[tuple[int, str]] = []
    for mcp in FLAKY:
        times = sorted(start_ms + rng.randrange(span - 600_000) for _ in range(days // 2 + 1))
        still_open = mcp == FLAKY[0]
        if still_open:  # one breaker opened minutes before the log ends
            times.append(end_ms - rng.randrange(300_000, 900_000))
        for n, opened in enumerate(times):
            recovers = not (still_open and n == len(times) - 1)
            for k, (at, event) in enumerate(_circuit_story(mcp, opened, recovers=recovers)):
                at_clamped = min(max(at, start_ms), end_ms - 1)
                specials.append((at_clamped, _line(at_clamped, f"cb-{mcp}-{n}-{k}", event)))
    specials.sort(key=lambda item: item[0])
    return specials[:budget]


def _transition(mcp: str, state: str) -> dict[str, object]:
    return {
        "type": "circuit_breaker",
        "status": "ok",
        "metadata": {"circuit": state, "mcp": mcp},
    }


def write_event_log(
    path: Path,
    *,
    start: datetime,
    end: datetime,
    events: int,
    seed: int = 0,
    malformed_every: int = 0,
) -> int:
    """Write ``events`` events spread over ``[start, end)`` to ``path``; return lines written.

    With ``malformed_every=N`` a malformed line (blank, not JSON, truncated, missing or invalid
    fields, not UTF-8) is written for every N events — ``events // N`` of them, spread evenly —
    so the count returned is ``events + events // N``. The same
    arguments always produce the same bytes.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    start_ms = int(start.timestamp() * 1000)
    end_ms = int(end.timestamp() * 1000)
    if end_ms <= start_ms:
        raise ValueError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    rng = random.Random(seed)  # noqa: S311 - sample data, reproducible by design
    specials = _incidents(rng, start_ms, end_ms, max(0, events // 10))
    regular = max(0, events - len(specials))
    plan = _Plan(
        start_ms=start_ms,
        end_ms=end_ms,
        regular=regular,
        pool=_body_pool(rng, min(_POOL_SIZE, max(regular, 1))),
        specials=specials,
        malformed=events // malformed_every if malformed_every > 0 else 0,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb", buffering=1 << 22) as out:
        return _write(out, rng, plan)


@dataclass(frozen=True, slots=True)
class _Plan:
    start_ms: int
    end_ms: int
    regular: int  # events drawn from the pool; the specials come on top
    pool: list[tuple[int, str]]
    specials: list[tuple[int, str]]
    malformed: int  # how many malformed lines to spread over the log


# "HH:MM:SS." for every second of a day and "000".."999": a timestamp is then a few lookups
# instead of a strftime, which would be most of the cost of a line.
_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86400)]
_MILLIS = [f"{ms:03d}" for ms in range(1000)]


def _hourly_counts(
    start_ms: int, end_ms: int, total: int, rng: random.Random
) -> list[tuple[int, int, int]]:
    """Split ``total`` events over the hours of ``[start, end)`` as (start, end, count).

    Traffic follows the office day in Tokyo — busiest mid-afternoon, quietest before dawn,
    lighter at weekends — so the chart of a demo report looks like a real proxy's.
    """
    edges = [start_ms]
    edges.extend(range((start_ms // 3_600_000 + 1) * 3_600_000, end_ms, 3_600_000))
    edges.append(end_ms)
    weights = []
    for low, high in itertools.pairwise(edges):
        local_hours = (low + (high - low) / 2 + _LOCAL_OFFSET_MS) / 3_600_000
        daily = 1 + 0.6 * math.cos(2 * math.pi * (local_hours % 24 - 15) / 24)
        weekend = 0.55 if int(local_hours // 24 + 3) % 7 >= 5 else 1.0  # noqa: PLR2004 - Sat, Sun
        noise = rng.uniform(0.85, 1.15)  # no two hours alike
        weights.append((high - low) * daily * weekend * noise)
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    # Largest remainders get the events lost to rounding, so the total is exact.
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - weights[i] * scale)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return [(edges[i], edges[i + 1], counts[i]) for i in range(len(counts))]


def _write(out: BinaryIO, rng: random.Random, plan: _Plan) -> int:
    regular, start_ms, end_ms, specials = plan.regular, plan.start_ms, plan.end_ms, plan.specials
    # The k-th malformed line follows regular event ceil(k·regular/malformed) − 1.
    bad_after = [-(-k * regular // plan.malformed) - 1 for k in range(1, plan.malformed + 1)]
    bad_after.append(-1)  # sentinel: never equal to an index
    next_bad = 0
    # Each event sits at a random point of its own slot; one in fifty is logged up to 3 s late.
    fractions = range(1000)
    late = [0] * 4000 + [-rng.randrange(1, 3000) for _ in range(80)]
    special_at = [at for at, _ in specials] + [end_ms + 1]  # sentinel
    next_special = 0
    days: dict[int, str] = {}
    clock, millis_text = _CLOCK, _MILLIS  # locals are faster in the hot loop
    written = index = 0
    lines: list[str] = []
    append = lines.append
    for low, high, count in _hourly_counts(start_ms, end_ms, regular, rng):
        if not count:
            continue
        width, scaled = high - low, count * 1000
        bodies = rng.choices(plan.pool, k=count)
        offsets = rng.choices(fractions, k=count)
        delays = rng.choices(late, k=count)
        step = 0
        for (shift, rest), offset, delay in zip(bodies, offsets, delays, strict=True):
            at = low + (step + offset) * width // scaled + delay
            step += 1000
            at = max(at, start_ms)
            while at >= special_at[next_special]:
                append(specials[next_special][1])
                next_special += 1
            day, in_day = divmod(at + shift, 86_400_000)
            prefix = days.get(day)
            if prefix is None:
                date = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
                prefix = days[day] = '{"timestamp":"' + date
            second, millis = divmod(in_day, 1000)
            append(f'{prefix}{clock[second]}{millis_text[millis]}{rest}{index:x}"}}\n')
            if index == bad_after[next_bad]:
                append(_MALFORMED[next_bad % len(_MALFORMED)] + "\n")
                next_bad += 1
            index += 1
        if len(lines) >= _CHUNK:
            written += len(lines)
            out.write("".join(lines).encode("utf-8", "surrogateescape"))
            lines.clear()
    lines.extend(line for _, line in specials[next_special:])
    out.write("".join(lines).encode("utf-8", "surrogateescape"))
    return written + len(lines)
