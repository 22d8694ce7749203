"""The made-up MCP proxy the demo data describes: its MCPs, tools, skills and error types.

Numbers are chosen so that a demo report has something to say: failure rates and latencies
differ by an order of magnitude between MCPs, one MCP is slow enough to cross the default p95
threshold, and a few error messages carry secret-shaped text that the redactor must catch.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class McpProfile:
    name: str
    tools: tuple[str, ...]
    weight: float  # share of the tool-call traffic
    failure_rate: float
    median_ms: float
    sigma: float  # lognormal spread; larger means a heavier tail
    errors: tuple[tuple[str, float], ...]  # errorType -> relative weight among failures


MCPS: tuple[McpProfile, ...] = (
    McpProfile(
        "github",
        ("create_issue", "list_pull_requests", "get_file_contents", "search_code"),
        16,
        0.006,
        320,
        0.6,
        (("RateLimitError", 5), ("AuthError", 2), ("TimeoutError", 2), ("UpstreamError", 1)),
    ),
    McpProfile(
        "slack",
        ("post_message", "list_channels", "get_thread"),
        9,
        0.008,
        180,
        0.5,
        (("RateLimitError", 4), ("AuthError", 1), ("ConnectionError", 1)),
    ),
    McpProfile(
        "postgres",
        ("query", "describe_table", "list_schemas"),
        12,
        0.003,
        45,
        0.9,
        (("QueryError", 6), ("TimeoutError", 2), ("ConnectionError", 1)),
    ),
    McpProfile(
        "filesystem",
        ("read_file", "write_file", "list_directory", "search_files"),
        18,
        0.001,
        8,
        0.7,
        (("ValidationError", 3), ("PermissionError", 2)),
    ),
    McpProfile(
        "web-search",
        ("search", "fetch_page"),
        8,
        0.035,
        900,
        0.8,
        (("TimeoutError", 5), ("RateLimitError", 3), ("UpstreamError", 2), ("", 1)),
    ),
    McpProfile(
        "browser",
        ("navigate", "click", "screenshot", "evaluate"),
        5,
        0.06,
        2300,
        0.75,
        (("TimeoutError", 6), ("CrashError", 2), ("ConnectionError", 2), ("", 1)),
    ),
    McpProfile(
        "jira",
        ("get_issue", "create_issue", "transition_issue"),
        6,
        0.012,
        450,
        0.5,
        (("AuthError", 3), ("ValidationError", 2), ("UpstreamError", 1)),
    ),
    McpProfile(
        "notion",
        ("get_page", "query_database", "append_block"),
        5,
        0.02,
        600,
        0.6,
        (("RateLimitError", 4), ("TimeoutError", 1), ("ValidationError", 1)),
    ),
    McpProfile(
        "sentry",
        ("list_issues", "get_event"),
        4,
        0.005,
        380,
        0.5,
        (("UpstreamError", 2), ("AuthError", 1)),
    ),
    McpProfile(
        "memory",
        ("store", "recall", "forget"),
        10,
        0.002,
        15,
        0.6,
        (("ValidationError", 1),),
    ),
    McpProfile(
        "figma",
        ("get_file", "export_node"),
        3,
        0.015,
        1300,
        0.7,
        (("TimeoutError", 3), ("RateLimitError", 2)),
    ),
    McpProfile(
        "embeddings",
        ("embed_text", "embed_batch"),
        4,
        0.009,
        240,
        0.4,
        (("RateLimitError", 3), ("UpstreamError", 1)),
    ),
)

SKILLS = ("summarize-pr", "triage-incident", "daily-standup", "code-review", "release-notes")
ROUTES = ("tools/call", "resources/read", "prompts/get")
INTERNAL_ERRORS = ("InternalError", "ConfigReloadError")

# MCPs whose circuit breaker trips in the demo (the flaky ones).
FLAKY = ("browser", "web-search", "notion")


def fake_token(rng: random.Random) -> str:
    """A GitHub-token-shaped string, assembled so that no token shape sits in the source."""
    body = "".join(rng.choices(string.ascii_letters + string.digits, k=36))
    return "gh" + "p" + "_" + body


def fake_email(rng: random.Random) -> str:
    user = rng.choice(("alice", "bob", "ops-bot", "k.tanaka", "deploy"))
    return user + "@" + rng.choice(("example.com", "example.org", "corp.example"))


_MESSAGES: dict[str, Callable[[str, str, random.Random], str]] = {
    "TimeoutError": lambda _m, _t, rng: (
        f"timeout after {rng.choice((3000, 5000, 10000, 30000)) + rng.randrange(20)}ms"
    ),
    "RateLimitError": lambda _m, _t, rng: (
        f"429 rate limited by upstream (retry after {rng.randrange(1, 60)}s)"
    ),
    "ConnectionError": lambda _m, _t, rng: (
        f"ECONNREFUSED 10.0.{rng.randrange(8)}.{rng.randrange(2, 250)}:443"
    ),
    "AuthError": lambda _m, _t, rng: (
        f"401 Unauthorized: token {fake_token(rng)} rejected for {fake_email(rng)}"
    ),
    "UpstreamError": lambda mcp, _t, rng: f"{rng.choice((500, 502, 503, 504))} from {mcp} upstream",
    "QueryError": lambda _m, _t, rng: f'relation "events_{rng.randrange(100)}" does not exist',
    "ValidationError": lambda _m, tool, _r: (
        f"invalid arguments for {tool}: missing required field 'path'"
    ),
    "PermissionError": lambda _m, _t, rng: (
        f"EACCES: permission denied, open '/srv/data/{rng.randrange(1000)}.json'"
    ),
    "CrashError": lambda _m, tool, rng: (
        f"page crashed while running {tool}; notify {fake_email(rng)}"
    ),
    "InternalError": lambda _m, _t, rng: (
        f"unexpected state in router (request {rng.randrange(10**6)})"
    ),
    "ConfigReloadError": lambda _m, _t, rng: (
        f"config reload failed at line {rng.randrange(1, 200)}; keeping the previous config"
    ),
}


def error_message(error_type: str, mcp: str, tool: str, rng: random.Random) -> str:
    """A realistic message for ``error_type``; some carry fake secrets to show redaction."""
    make = _MESSAGES.get(error_type)
    # Failures without an errorType carry a bare message.
    return make(mcp, tool, rng) if make else "request failed"
