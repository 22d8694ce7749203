from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from fake_secrets import SAMPLERS, Sample, survivors
from repo import ROOT

from ops_schedule.config import load_config
from ops_schedule.errors import ConfigError, SinkError
from ops_schedule.redaction import (
    CATALOGUE,
    build_redactor,
    compile_custom_pattern,
    redact_error,
)

REDACTOR = build_redactor()
PH = "[REDACTED]"

# Realistic places a secret turns up: log lines, report table cells, quotes, JSON, Japanese.
TEMPLATES = (
    (
        "2026-11-26T09:00:01.123Z ERROR mcp=github tool=create_issue status=fail "
        "errorType=AuthError message=upstream rejected {s}"
    ),
    "| github | create_issue | AuthError | {s} |",
    "- 例: `{s}`",
    "retrying with '{s}' after 1200ms",
    'upstream said "{s}"',
    '{{"timestamp": "2026-11-26T00:00:00Z", "status": "fail", "errorMessage": "denied: {j}"}}',
    "認証に失敗しました。トークン{s}は無効です",
    "{s}が漏洩した可能性があります",
    "GET /v1/proxy?trace=1&q={s} 401",
    "> 例外: RuntimeError('{s}')",
    "(see {s})",
    "{s}",
)
CASES_PER_TEMPLATE = 6


def _line(template: str, sample: Sample) -> str:
    return template.format(s=sample.text, j=json.dumps(sample.text, ensure_ascii=False)[1:-1])


def _corpus(name: str) -> list[tuple[str, Sample]]:
    cases = []
    for t_index, template in enumerate(TEMPLATES):
        for i in range(CASES_PER_TEMPLATE):
            rng = random.Random(f"{name}/{t_index}/{i}")
            sample = SAMPLERS[name](rng)
            cases.append((_line(template, sample), sample))
    return cases


def test_every_catalogued_format_has_a_fake_sampler_and_the_other_way_round():
    assert {f.name for f in CATALOGUE} == set(SAMPLERS)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_recall_is_complete_on_the_corpus_for(name):
    cases = _corpus(name)
    missed = []
    for line, sample in cases:
        redacted = REDACTOR.redact(line)
        left = survivors(sample.secret, redacted)
        if left:
            missed.append((line, redacted, left))
    recall = 1 - len(missed) / len(cases)
    assert recall == 1.0, f"{name}: recall {recall:.3f}; first miss: {missed[0]!r}"


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_redacting_twice_changes_nothing_for(name):
    for line, _ in _corpus(name):
        once = REDACTOR.redact(line)
        assert REDACTOR.redact(once) == once


# Ordinary report text: none of it may change.
CLEAN_LINES = (
    "# 日次オブザーバビリティレポート 2026-11-26",
    "## Weekly observability report 2026-W48 (2026-11-16T00:10:00Z – 2026-11-23T00:10:00Z)",
    "<!-- ops-schedule:daily_observability_report:2026-11-26 -->",
    "| MCP | calls | failures | failure rate | mean | p95 | circuit |",
    "|---|---:|---:|---:|---:|---:|---|",
    "| github | 1,204 | 37 | 3.1% | 412.5 ms | 2,310 ms | closed |",
    "| brave-search | 88 | 12 | 13.6% | 1.2 s | 5,012 ms | half-open |",
    "| postgres-mcp | 3 | 0 | 0.0% | 12 ms | 15 ms | open (opened 2×) |",
    "Tools: create_issue, list_pull_requests, search_repositories, read_file, query",
    "TimeoutError ×12, CircuitOpenError ×3, RateLimitError, ECONNRESET, ValueError",
    "errorType=UpstreamTimeoutError durationMs=30000 status=fail runId=run-7f3a9c",
    "Success rate 97.1% (−0.4 pt vs previous window), p95 1234ms → 1,302 ms, +8.2%",
    "Durations: 90m, 6h, 2d, 1h30m, 250 ms, 1.5 s, 00:05:00",
    "2026-11-26T09:00:00+09:00 / 2026-11-26T00:00:00Z / 2026-11-26 09:00 JST",
    "commit a1b2c3d, build deadbeef, run 0x7fff, request id 4f9c2e1a",
    "incident 550e8400-e29b-41d4-a716-446655440000 resolved after 42 minutes",
    "ops-schedule v0.1.0 on Python 3.11.7, google-re2 1.1, click 8.1.7",
    "Archived to logs/ops-reports/daily_observability_report/2026-11-26.md",
    "Reading .taisun/observability/events.jsonl.1 and events.jsonl.2.gz",
    "/var/lib/ops-schedule/schedule-state.json, C:\\ops\\logs\\report.json",
    "See https://github.com/acme/proxy-mcp/issues/12#issuecomment-123456 for details",
    "POST https://api.github.com/repos/acme/proxy-mcp/issues/12/comments → 201",
    "Metrics at http://127.0.0.1:9464/metrics; health at http://localhost:8080/healthz",
    "成功率は97.1%でした。タイムアウトが主な原因です。",
    "改善提案: github MCP のリトライ間隔を見直し、サーキットブレーカーの閾値を調整してください。",
    "トークンの有効期限切れが3件、パスワード変更後の再認証エラーが1件ありました。",
    "Rotate the API token before it expires; check the secret store for stale entries.",
    "Token usage rose 12%; the password policy is unchanged.",
    "```mermaid",
    "pie title 失敗理由 (top 5)",
    '    "TimeoutError" : 12',
    '    "AuthError" : 3',
    "xychart-beta",
    '    x-axis ["11-20", "11-21", "11-22"]',
    "    bar [97.1, 98.4, 96.0]",
    "```",
    "graph LR; proxy-->github; proxy-->brave-search",
    "Alert: **WARNING** (success rate below 95%) — 2 MCPs not closed",
    "> Skipped: no incident data at .taisun/incidents/state.jsonl",
    "Top causes: timeout after <n>ms (41%), rate limited (22%), auth failure (9%)",
    "max_tokens=4096 tokens_used=1532 token_count: 17",
    "Task-queue-processing-worker-pool restarted; risk-assessment-dashboard ok",
    "ASIA/Tokyo is not Asia/Tokyo; Bearer authentication required",
    "Basic usage: ops-schedule status --json",
    "password: null, token=${GITHUB_TOKEN}, secret: {{ secrets.GH }}",
)


@pytest.mark.parametrize("line", CLEAN_LINES)
def test_ordinary_report_text_survives_untouched(line):
    assert REDACTOR.redact(line) == line


def test_a_whole_clean_report_survives_untouched():
    report = "\n".join(CLEAN_LINES)
    assert REDACTOR.redact(report) == report


def test_a_secret_written_against_japanese_is_caught_on_both_sides():
    sample = SAMPLERS["github_token"](random.Random(1))
    assert REDACTOR.redact(f"鍵{sample.text}鍵") == f"鍵{PH}鍵"


def test_a_jwt_is_removed_with_all_three_parts():
    sample = SAMPLERS["jwt"](random.Random(2))
    assert REDACTOR.redact(f"token {sample.text}.") == f"token {PH}."


def test_a_pem_block_is_removed_whole_including_its_end_line():
    sample = SAMPLERS["pem_private_key"](random.Random(3))
    assert REDACTOR.redact(f"key:\n{sample.text}\ndone") == f"key:\n{PH}\ndone"


def test_a_truncated_pem_block_loses_its_body_too():
    sample = SAMPLERS["pem_private_key"](random.Random(4))
    cut = sample.text[: len(sample.text) // 2]
    redacted = REDACTOR.redact(f"{cut}|after")
    assert redacted == f"{PH}|after"


def test_context_formats_keep_their_context_and_lose_only_the_value():
    rng = random.Random(5)
    password = SAMPLERS["url_password"](rng).secret
    assert (
        REDACTOR.redact(f"postgres://app:{password}@db:5432/x") == f"postgres://app:{PH}@db:5432/x"
    )
    assert REDACTOR.redact("db_password=hunter2; host=db") == f"db_password={PH}; host=db"
    assert REDACTOR.redact('{"client_secret": "a b c"}') == f'{{"client_secret": "{PH}"}}'


def test_a_token_used_as_the_user_name_of_a_url_is_caught():
    token = SAMPLERS["github_token"](random.Random(6)).secret
    assert REDACTOR.redact(f"https://{token}:x-oauth-basic@github.com/a/b") == (
        f"https://{PH}:{PH}@github.com/a/b"
    )


def test_findings_count_secrets_by_format():
    rng = random.Random(7)
    first, second, token = (SAMPLERS[n](rng).text for n in ("email", "email", "jwt"))
    text = f"{first} {second} {token}"
    assert REDACTOR.findings(text) == {"email": 2, "jwt": 1}


def test_the_placeholder_comes_from_the_configuration(tmp_path: Path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"redaction": {"placeholder": "<secret>"}}), encoding="utf-8")
    config = load_config(path)
    redactor = build_redactor(config.redaction.patterns, config.redaction.placeholder)
    assert redactor.redact("mail ops@example.com") == "mail <secret>"


def test_custom_patterns_are_applied_after_the_built_ins():
    redactor = build_redactor(["CUST-[0-9]{6}", "社員番号[0-9]+"])
    assert redactor.redact("CUST-123456 社員番号42 ok") == f"{PH} {PH} ok"


def test_a_custom_pattern_with_a_backreference_is_a_configuration_error_with_re2s_message(
    tmp_path: Path,
):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"redaction": {"patterns": [r"(a)\1"]}}), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.exit_code == 2
    assert "redaction.patterns[0]" in str(caught.value)
    assert "invalid escape sequence" in str(caught.value)


def test_a_custom_pattern_with_lookaround_is_rejected():
    with pytest.raises(ValueError, match="invalid perl operator"):
        compile_custom_pattern(r"(?<=user=)\w+")


def test_a_custom_pattern_that_matches_the_empty_string_is_rejected():
    with pytest.raises(ConfigError, match="matches the empty string"):
        build_redactor([r"x*"])


def test_a_custom_pattern_that_matches_the_placeholder_is_rejected():
    with pytest.raises(ConfigError, match="matches the placeholder"):
        build_redactor([r"RED\w+"])


def test_a_placeholder_that_looks_like_a_secret_is_rejected():
    with pytest.raises(ConfigError, match="looks like a secret itself"):
        build_redactor(placeholder="password=hidden")


SECRET_SHAPED_PLACEHOLDERS = {
    "a GitHub token": lambda: SAMPLERS["github_token"](random.Random(11)).secret,
    "an e-mail address": lambda: "ops@example.com",
    "forty capital letters": lambda: "A" * 40,
}


@pytest.mark.parametrize(
    "make", SECRET_SHAPED_PLACEHOLDERS.values(), ids=list(SECRET_SHAPED_PLACEHOLDERS)
)
def test_a_secret_shaped_placeholder_is_a_configuration_error(make, tmp_path: Path):
    placeholder = make()
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"redaction": {"placeholder": placeholder}}), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.exit_code == 2
    assert "redaction.placeholder" in str(caught.value)
    assert "looks like a secret itself" in str(caught.value)
    with pytest.raises(ConfigError, match="looks like a secret itself"):
        build_redactor(placeholder=placeholder)


@pytest.mark.parametrize("placeholder", ["[REDACTED]", "***", "<secret>", "＊＊伏字＊＊"])
def test_an_ordinary_placeholder_is_accepted(placeholder):
    assert build_redactor(placeholder=placeholder).placeholder == placeholder


def test_a_catastrophic_backtracking_pattern_finishes_fast_on_re2():
    redactor = build_redactor([r"(a+)+$"])
    text = "a" * 100_000 + "!"
    started = time.perf_counter()
    assert redactor.redact(text).endswith("!")
    assert time.perf_counter() - started < 1.0


def test_sixty_thousand_characters_of_report_lose_every_secret_and_nothing_else():
    # How long this takes is benchmark case d (docs/performance.md), not a unit test's business.
    rng = random.Random(8)
    lines: list[str] = []
    secrets: list[str] = []
    while sum(len(line) + 1 for line in lines) < 60_000:
        lines.append(rng.choice(CLEAN_LINES))
        if rng.random() < 0.05:
            name = rng.choice(sorted(SAMPLERS))
            sample = SAMPLERS[name](rng)
            secrets.append(sample.secret)
            lines.append(_line(rng.choice(TEMPLATES), sample))
    redacted = REDACTOR.redact("\n".join(lines))
    assert secrets
    assert [secret for secret in secrets if survivors(secret, redacted)] == []
    kept = set(redacted.split("\n"))
    assert all(line in kept for line in lines if line in CLEAN_LINES)


def test_an_error_becomes_one_redacted_line_with_its_cause():
    sample = SAMPLERS["pem_private_key"](random.Random(9))
    token = SAMPLERS["github_token"](random.Random(10)).secret
    error = SinkError(f"GitHub said 401 for {token}", permanent=True)
    error.__cause__ = OSError(f"cannot read key\n{sample.text}")
    line = redact_error(error, REDACTOR)
    assert line == f"GitHub said 401 for {PH} (caused by OSError: cannot read key / {PH})"
    assert "\n" not in line


def test_an_unexpected_error_is_named_by_its_type():
    assert redact_error(KeyError("mcpName"), REDACTOR) == "KeyError: 'mcpName'"
    assert redact_error(RuntimeError(), REDACTOR) == "RuntimeError"


def test_every_built_in_format_is_documented():
    docs = (ROOT / "docs" / "redaction.md").read_text(encoding="utf-8")
    missing = [f.name for f in CATALOGUE if f"| `{f.name}` |" not in docs]
    assert missing == []
