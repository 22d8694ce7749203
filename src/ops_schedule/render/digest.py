"""Pure renderers for the weekly improvement digest: the JSON of SPEC §7 and Markdown (ja/en)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ops_schedule.causes import CauseCategory
from ops_schedule.digest_rules import Cause, Digest, Proposal, Totals, Window
from ops_schedule.render.markdown import MAX_REPORT_CHARS, clip, code_span, cut_lines, table

__all__ = ["EXAMPLE_CHARS", "digest_json", "digest_markdown", "proposal_texts"]

Locale = Literal["ja", "en"]

EXAMPLE_CHARS = 300  # an example reason, as shown
CELL_EXAMPLE_CHARS = 120
COMPONENTS_IN_CELL = 5
COMPONENTS_IN_ACTION = 3
COMPONENT_ROWS = 20
_BLANK_RUNS = re.compile(r"\n{3,}")

_ACTIONS: dict[Locale, dict[CauseCategory, str]] = {
    "en": {
        "timeout": (
            "Give calls to {components} an explicit timeout shorter than the caller's, retry "
            "idempotent calls once with jittered backoff, and raise the limit or add a cache "
            "only for tools that are slow by nature."
        ),
        "rate_limit": (
            "Throttle calls to {components} on the client side (a token bucket below the "
            "provider's limit), honour Retry-After, and spread scheduled bursts; ask for a "
            "higher quota if the load is legitimate."
        ),
        "connection": (
            "Check health, DNS and TLS certificates of {components}; use a keep-alive "
            "connection pool, retry connection errors with backoff, and let the circuit "
            "breaker open sooner so callers fail fast."
        ),
        "auth": (
            "Refresh or rotate the credentials used for {components}, check token scopes and "
            "expiry, and add an alert that fires before a token expires."
        ),
        "parse": (
            "Validate arguments against the tool schema before calling {components}, pin the "
            "server version, and add a contract test for the request or response format "
            "that broke."
        ),
        "memory": (
            "Set memory limits and usage alerts for {components}, and find the leak or the "
            "oversized payload (stream or page large responses)."
        ),
        "not_found": (
            "Reconcile the routing table and tool catalogue with what {components} actually "
            "expose, fix or remove stale references, and return a clear error for unknown "
            "tools."
        ),
        "upstream": (
            "Read the server logs of {components} for the failing requests, put the server "
            "behind the circuit breaker, and report the failure upstream with these examples."
        ),
        "other": (
            "Triage {cause}: find its owner among {components}, give it a specific error "
            "type so that future digests can classify it, and write a runbook entry for the "
            "first response."
        ),
    },
    "ja": {
        "timeout": (
            "{components} への呼び出しに呼び出し元より短い明示的なタイムアウトを設定し、"
            "冪等な呼び出しはジッター付きバックオフで 1 回だけ再試行する。"
            "本質的に遅いツールに限って上限の引き上げかキャッシュを検討する。"
        ),
        "rate_limit": (
            "{components} への呼び出しをクライアント側で制限し (提供元の上限を下回るトークン"
            "バケット)、Retry-After を守り、定時の一斉実行を分散する。"
            "正当な負荷であればクォータの引き上げを申請する。"
        ),
        "connection": (
            "{components} の死活・DNS・TLS 証明書を確認し、keep-alive 付きの接続プールと"
            "接続エラーのバックオフ再試行を入れ、サーキットブレーカーが早めに開くよう"
            "閾値を見直して呼び出し元を早く失敗させる。"
        ),
        "auth": (
            "{components} で使う認証情報を更新またはローテーションし、トークンのスコープと"
            "有効期限を確認する。期限切れの前に通知するアラートを追加する。"
        ),
        "parse": (
            "{components} を呼ぶ前に引数をツールのスキーマで検証し、サーバーのバージョンを"
            "固定し、壊れたリクエスト/レスポンス形式の契約テストを追加する。"
        ),
        "memory": (
            "{components} にメモリ上限と使用量アラートを設定し、リークや巨大なペイロードを"
            "調査する (大きな応答はストリーミングかページングで扱う)。"
        ),
        "not_found": (
            "ルーティング表とツールカタログを {components} が実際に公開しているものと"
            "突き合わせ、古い参照を修正または削除し、未知のツールには明確なエラーを返す。"
        ),
        "upstream": (
            "{components} のサーバーログで失敗したリクエストを調べ、サーバーをサーキット"
            "ブレーカーの対象に加え、これらの例を添えて提供元に報告する。"
        ),
        "other": (
            "{cause} を切り分ける: {components} の担当を特定し、次回から分類できるよう"
            "固有のエラー種別を付け、初動手順を Runbook に書く。"
        ),
    },
}

_TEXT: dict[Locale, dict[str, str]] = {
    "en": {
        "title": "Weekly improvement digest",
        "window": "Window",
        "summary": "Summary",
        "metric": "Metric",
        "this_week": "This week",
        "last_week": "Last week",
        "change": "Change",
        "incidents": "Incidents",
        "critical": "Critical",
        "warn": "Warn",
        "info": "Info",
        "ok": "OK",
        "resolved": "Resolved",
        "active": "Active",
        "suppressed": "Suppressed",
        "mttr": "Mean time to resolve (min)",
        "top_causes": "Top causes",
        "cause": "Cause",
        "share": "Share",
        "mix": "Critical / Warn / Info",
        "components": "Components",
        "vs_last_week": "vs last week",
        "example": "Example",
        "proposals": "Improvement proposals",
        "why": "Why",
        "health": "Component health (worst first)",
        "component": "Component",
        "score": "Score (0–100)",
        "none": "No incidents in this window.",
        "none_previous": "Last week: {n} incidents.",
        "none_previous_one": "Last week: 1 incident.",
        "no_causes": "No incident in this window lists a reason.",
        "more_components": "{n} more components not shown.",
        "malformed": "{n} malformed lines in the incident data were skipped.",
        "malformed_one": "1 malformed line in the incident data was skipped.",
        "without_reason": "{n} incidents list no reason.",
        "without_reason_one": "1 incident lists no reason.",
        "affected": "the affected components",
        "and_more": "{names} and {n} more",
        "why_line": "{cause}: {count} of {total} incidents ({share}), {critical} critical, "
        "last week {previous}",
        "why_components": "; components: {names}",
        "cut": "(The digest was cut to fit the size limit; the archived JSON has everything.)",
    },
    "ja": {
        "title": "週次改善ダイジェスト",
        "window": "対象期間",
        "summary": "概要",
        "metric": "項目",
        "this_week": "今週",
        "last_week": "前週",
        "change": "増減",
        "incidents": "インシデント数",
        "critical": "critical",
        "warn": "warn",
        "info": "info",
        "ok": "ok",
        "resolved": "解決済み",
        "active": "対応中",
        "suppressed": "抑制中",
        "mttr": "平均解決時間 (分)",
        "top_causes": "主な原因 (上位 3 件)",
        "cause": "原因",
        "share": "割合",
        "mix": "critical / warn / info",
        "components": "コンポーネント",
        "vs_last_week": "前週比",
        "example": "例",
        "proposals": "改善提案",
        "why": "根拠",
        "health": "コンポーネントの健全性 (悪い順)",
        "component": "コンポーネント",
        "score": "スコア (0–100)",
        "none": "この期間のインシデントはありません。",
        "none_previous": "前週: {n} 件。",
        "none_previous_one": "前週: 1 件。",
        "no_causes": "この期間のインシデントには原因の記載がありません。",
        "more_components": "ほか {n} 件のコンポーネントは省略しました。",
        "malformed": "インシデントデータの不正な行 {n} 行をスキップしました。",
        "malformed_one": "インシデントデータの不正な行 1 行をスキップしました。",
        "without_reason": "原因の記載がないインシデント: {n} 件。",
        "without_reason_one": "原因の記載がないインシデント: 1 件。",
        "affected": "影響を受けたコンポーネント",
        "and_more": "{names} ほか {n} 件",
        "why_line": "{cause}: 全 {total} 件中 {count} 件 ({share})、critical {critical} 件、"
        "前週 {previous} 件",
        "why_components": "。コンポーネント: {names}",
        "cut": "(サイズ上限に収めるため省略しました。アーカイブの JSON に全件があります。)",
    },
}


def _plain(text: str) -> str:
    return text


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _names(names: Sequence[str], limit: int, locale: Locale, code: Callable[[str], str]) -> str:
    text = _TEXT[locale]
    if not names:
        return text["affected"]
    shown = ", ".join(code(n) for n in names[:limit])
    if len(names) > limit:
        return text["and_more"].format(names=shown, n=len(names) - limit)
    return shown


def proposal_texts(
    proposal: Proposal, total: int, locale: Locale, code: Callable[[str], str] = _plain
) -> tuple[str, str]:
    """``(action, why)`` of a proposal; ``code`` marks up data (causes, component names)."""
    text = _TEXT[locale]
    action = _ACTIONS[locale][proposal.category].format(
        components=_names(proposal.components, COMPONENTS_IN_ACTION, locale, code),
        cause=code(proposal.causes[0].cause),
    )
    reasons = []
    for cause in proposal.causes:
        line = text["why_line"].format(
            cause=code(cause.cause),
            count=cause.count,
            total=total,
            share=_percent(cause.share),
            critical=cause.severity["critical"],
            previous=cause.previous_count,
        )
        if cause.components:
            line += text["why_components"].format(
                names=_names(cause.components, COMPONENTS_IN_CELL, locale, code)
            )
        reasons.append(line)
    return action, "; ".join(reasons)


def _summary_json(totals: Totals) -> dict[str, Any]:
    return {
        "totalIncidents": totals.incidents,
        "critical": totals.by_severity["critical"],
        "warn": totals.by_severity["warn"],
        "info": totals.by_severity["info"],
        "ok": totals.by_severity["ok"],
        "resolved": totals.by_status["resolved"],
        "active": totals.by_status["active"],
        "suppressed": totals.by_status["suppressed"],
        "meanTimeToResolveMinutes": totals.mean_time_to_resolve_minutes,
        "incidentsWithoutReason": totals.without_reason,
    }


def _window_json(window: Window) -> dict[str, str]:
    return {"start": _iso(window.start), "end": _iso(window.end)}


def _delta(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 1)


def _cause_json(cause: Cause) -> dict[str, Any]:
    return {
        "cause": cause.cause,
        "count": cause.count,
        "share": cause.share,
        "severity": dict(cause.severity),
        "components": list(cause.components),
        "example": clip(cause.example, EXAMPLE_CHARS),
        "category": cause.category,
        "previousCount": cause.previous_count,
        "delta": cause.count - cause.previous_count,
    }


def digest_json(
    digest: Digest, job: str, period: str, locale: Locale, timezone: str
) -> dict[str, Any]:
    """The digest JSON of SPEC §7 (its names kept; more fields added)."""
    summary = _summary_json(digest.totals)
    previous = _summary_json(digest.previous)
    proposals = []
    for proposal in digest.proposals:
        action, why = proposal_texts(proposal, digest.totals.incidents, locale)
        proposals.append(
            {
                "action": action,
                "why": why,
                "causes": [c.cause for c in proposal.causes],
                "category": proposal.category,
                "components": list(proposal.components),
            }
        )
    return {
        "job": job,
        "period": period,
        "window": {**_window_json(digest.window), "timezone": timezone},
        "summary": summary,
        "topCauses": [_cause_json(c) for c in digest.causes],
        "proposals": proposals,
        "componentHealth": [
            {
                "component": c.component,
                "incidents": c.incidents,
                "score": c.score,
                "critical": c.critical,
                "active": c.active,
            }
            for c in digest.components
        ],
        "previous": {"window": _window_json(digest.previous_window), "summary": previous},
        "change": {
            key: _delta(summary[key], previous[key])
            for key in (
                "totalIncidents",
                "critical",
                "warn",
                "info",
                "resolved",
                "active",
                "suppressed",
                "meanTimeToResolveMinutes",
            )
        },
        "malformedLines": digest.malformed_lines,
        "locale": locale,
    }


# --------------------------------------------------------------------------- Markdown


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _signed(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "±0"
    number = f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"
    return number.removesuffix(".0")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, int) else f"{value:.1f}"


def _header(digest: Digest, period: str, locale: Locale, zone: ZoneInfo) -> list[str]:
    text = _TEXT[locale]
    window = f"{_local(digest.window.start, zone)} – {_local(digest.window.end, zone)} ({zone.key})"
    return [f"## {text['title']} {period}", "", f"{text['window']}: {window}", ""]


def _footer(digest: Digest, locale: Locale) -> list[str]:
    text = _TEXT[locale]
    notes = [
        text[key + "_one" if n == 1 else key].format(n=n)
        for key, n in (
            ("without_reason", digest.totals.without_reason),
            ("malformed", digest.malformed_lines),
        )
        if n
    ]
    return ["", *(f"_{note}_" for note in notes)] if notes else []


def _summary_table(digest: Digest, locale: Locale) -> str:
    text = _TEXT[locale]
    now, before = digest.totals, digest.previous
    rows: list[tuple[str, float | None, float | None]] = [
        (text["incidents"], now.incidents, before.incidents),
        *((text[s], now.by_severity[s], before.by_severity[s]) for s in ("critical", "warn")),
        (text["info"], now.by_severity["info"], before.by_severity["info"]),
        *(
            (text[s], now.by_status[s], before.by_status[s])
            for s in ("resolved", "active", "suppressed")
        ),
        (text["mttr"], now.mean_time_to_resolve_minutes, before.mean_time_to_resolve_minutes),
    ]
    return table(
        [text["metric"], text["this_week"], text["last_week"], text["change"]],
        [(label, _number(a), _number(b), _signed(_delta(a, b))) for label, a, b in rows],
        "lrrr",
    )


def _causes_table(digest: Digest, locale: Locale) -> str:
    text = _TEXT[locale]
    rows = []
    for rank, cause in enumerate(digest.causes, start=1):
        mix = " / ".join(str(cause.severity[s]) for s in ("critical", "warn", "info"))
        rows.append(
            (
                rank,
                code_span(cause.cause),
                cause.count,
                _percent(cause.share),
                mix,
                _names(cause.components, COMPONENTS_IN_CELL, locale, code_span)
                if cause.components
                else "—",
                _signed(cause.count - cause.previous_count),
                code_span(clip(cause.example, CELL_EXAMPLE_CHARS)),
            )
        )
    return table(
        [
            "#",
            text["cause"],
            text["incidents"],
            text["share"],
            text["mix"],
            text["components"],
            text["vs_last_week"],
            text["example"],
        ],
        rows,
        "rlrrclrl",
    )


def _proposals_list(digest: Digest, locale: Locale) -> list[str]:
    text = _TEXT[locale]
    lines = []
    for number, proposal in enumerate(digest.proposals, start=1):
        action, why = proposal_texts(proposal, digest.totals.incidents, locale, code_span)
        lines.extend([f"{number}. {action}", f"   - {text['why']}: {why}"])
    return lines


def _health_table(digest: Digest, locale: Locale) -> list[str]:
    text = _TEXT[locale]
    shown = digest.components[:COMPONENT_ROWS]
    lines = [
        table(
            [text["component"], text["incidents"], text["critical"], text["active"], text["score"]],
            [(code_span(c.component), c.incidents, c.critical, c.active, c.score) for c in shown],
            "lrrrr",
        )
    ]
    hidden = len(digest.components) - len(shown)
    if hidden > 0:
        lines.extend(["", f"_{text['more_components'].format(n=hidden)}_"])
    return lines


def digest_markdown(digest: Digest, period: str, locale: Locale, zone: ZoneInfo) -> str:
    """GitHub-flavoured Markdown, never longer than ``MAX_REPORT_CHARS``."""
    text = _TEXT[locale]
    lines = _header(digest, period, locale, zone)
    if digest.empty:
        lines.append(text["none"])
        before = digest.previous.incidents
        if before:
            lines.append(
                text["none_previous_one" if before == 1 else "none_previous"].format(n=before)
            )
        lines.extend(_footer(digest, locale))
        return "\n".join(lines) + "\n"
    lines.extend([f"### {text['summary']}", "", _summary_table(digest, locale), ""])
    lines.extend([f"### {text['top_causes']}", ""])
    if digest.causes:
        lines.extend([_causes_table(digest, locale), ""])
        lines.extend([f"### {text['proposals']}", "", *_proposals_list(digest, locale), ""])
    else:
        lines.extend([text["no_causes"], ""])
    if digest.components:
        lines.extend([f"### {text['health']}", "", *_health_table(digest, locale)])
    lines.extend(_footer(digest, locale))
    markdown = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).rstrip("\n") + "\n"
    return cut_lines(markdown, MAX_REPORT_CHARS, text["cut"])
