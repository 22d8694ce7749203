from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops_schedule.reports.digest.causes import MAX_CAUSE_CHARS, classify_cause, normalize_reason


@pytest.mark.parametrize(
    ("variants", "cause"),
    [
        (
            ["timeout after 3012ms", "Timeout after 5000 ms", "TIMEOUT  after 12 ms."],
            "timeout after <n>ms",
        ),
        (
            ["Timeout after 30 seconds", "timeout after 2.5s", "timeout after 1 sec"],
            "timeout after <n>s",
        ),
        (
            ["Connection refused to 10.0.0.7:5432", "connection refused to 192.168.1.20"],
            "connection refused to <ip>",
        ),
        (
            ["connection reset by db-1.prod.internal:5433", "Connection reset by api.github.com"],
            "connection reset by <host>",
        ),
        (
            ["request 550e8400-e29b-41d4-a716-446655440000 failed", "request 0f3a9c21d4e5 failed"],
            "request <id> failed",
        ),
        (["unknown tool 'search_repos'", 'unknown tool "list_issues"'], "unknown tool <value>"),
        (["cannot open /var/lib/app/cache.db", "cannot open ./data/x.json"], "cannot open <path>"),
        (
            ["GET https://api.example.com/v1/x?id=7 failed", "GET http://h/y failed"],
            "get <url> failed",
        ),
        (["heap at 93% of limit", "heap at 97 % of limit"], "heap at <n>% of limit"),
        (["failed at 2026-11-20T10:00:00Z", "failed at 2026-11-21 09:15:02"], "failed at <time>"),
        (["ＴＩＭＥＯＵＴ　after １２３ms", "timeout after 9ms"], "timeout after <n>ms"),
        (["error 0xdeadbeef", "error 0x1F"], "error <hex>"),
        (["no route to fe80::1", "no route to 2001:db8:0:0:0:0:0:1"], "no route to <ip>"),
        (
            ["mail to ops@example.com bounced", "mail to a.b@c.io bounced"],
            "mail to <email> bounced",
        ),
    ],
)
def test_variants_of_one_reason_fold_into_one_cause(variants, cause):
    assert {normalize_reason(v) for v in variants} == {cause}


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("timeout after 3012ms", "timeout after 30s"),
        ("http 429 too many requests", "http 503 service unavailable"),
        ("upstream returned 502", "upstream returned 503"),
        ("status=401", "status=500"),
        ("connection refused", "connection reset by peer"),
        ("timeout after 3012ms", "rate limit exceeded"),
        ("requests.exceptions.ReadTimeout", "requests.exceptions.ConnectTimeout"),
    ],
)
def test_different_causes_stay_apart(one, other):
    assert normalize_reason(one) != normalize_reason(other)


def test_names_with_digits_inside_are_kept():
    assert normalize_reason("oauth2 token expired for s3") == "oauth2 token expired for s3"


def test_an_apostrophe_is_not_a_quote():
    assert normalize_reason("can't connect to 'db'") == "can't connect to <value>"


def test_a_very_long_reason_is_cut():
    cause = normalize_reason("boom " * 1000)
    assert len(cause) == MAX_CAUSE_CHARS
    assert cause.endswith("…")


def test_a_reason_of_only_spaces_normalises_to_nothing():
    assert normalize_reason(" \t\n ") == ""


@given(st.text(max_size=200))
def test_normalising_twice_changes_nothing(reason):
    once = normalize_reason(reason)
    assert normalize_reason(once) == once


@pytest.mark.parametrize(
    ("cause", "category"),
    [
        ("timeout after <n>ms", "timeout"),
        ("request timed out", "timeout"),
        ("context deadline exceeded", "timeout"),
        ("connection timed out", "timeout"),
        ("http 429 too many requests", "rate_limit"),
        ("rate limit exceeded for user <value>", "rate_limit"),
        ("api rate-limited, secondary rate limit", "rate_limit"),
        ("connection refused to <ip>", "connection"),
        ("econnreset", "connection"),
        ("getaddrinfo enotfound <host>", "connection"),
        ("http 401 unauthorized", "auth"),
        ("token expired", "auth"),
        ("permission denied", "auth"),
        ("json parse error: unexpected token <value>", "parse"),
        ("invalid params: missing field <value>", "parse"),
        ("schema validation failed", "parse"),
        ("javascript heap out of memory", "memory"),
        ("container oomkilled", "memory"),
        ("tool not found", "not_found"),
        ("unknown tool <value>", "not_found"),
        ("http 404", "not_found"),
        ("upstream returned 503", "upstream"),
        ("internal server error", "upstream"),
        ("flux capacitor misaligned", "other"),
    ],
)
def test_causes_are_classified_for_proposals(cause, category):
    assert classify_cause(cause) == category


@pytest.mark.parametrize(
    "reason",
    ['0""', "7''", "x" * 300, "boom " * 60, "cut mark at the end…", "a…"],
)
def test_normalising_a_cause_again_changes_nothing_even_when_one_fold_exposes_another(reason):
    once = normalize_reason(reason)
    assert normalize_reason(once) == once
    assert len(once) <= 200
