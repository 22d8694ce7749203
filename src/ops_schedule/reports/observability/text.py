"""Words of the observability report in each locale, and the number formats they use."""

from __future__ import annotations

from collections.abc import Mapping

from ops_schedule.config import Locale

LABELS: Mapping[Locale, Mapping[str, str]] = {
    "en": {
        "title.daily": "Daily observability report",
        "title.weekly": "Weekly observability report",
        "window": "Window",
        "alert": "Alert",
        "alert.OK": "OK",
        "alert.WARNING": "WARNING",
        "alert.CRITICAL": "CRITICAL",
        "reason.successRateBelowCritical": "success rate below {critical}",
        "reason.successRateBelowWarn": "success rate below {warn}",
        "reason.noEvents": "no events in the window",
        "reason.mcpDegraded": "{count} MCP(s) degraded",
        "summary": "Summary",
        "metric": "Metric",
        "value": "This window",
        "previous": "Previous window",
        "change": "Change",
        "events": "Events",
        "successRate": "Success rate",
        "failures": "Failures",
        "p95": "p95 latency (MCP calls)",
        "malformed": "Malformed lines skipped",
        "proposals": "Proposals",
        "noAction": "No action needed: every number is within its threshold.",
        "chart": "Events and failures per {bucket}",
        "bucket.hour": "hour",
        "bucket.day": "day",
        "chart.events": "Events per {bucket} ({zone})",
        "chart.failures": "Failures per {bucket} ({zone})",
        "chart.eventsAxis": "events",
        "chart.failuresAxis": "failures",
        "mcps": "MCPs",
        "mcp": "MCP",
        "calls": "Calls",
        "failed": "Failed",
        "failureRate": "Fail %",
        "mean": "Mean (ms)",
        "p95short": "p95 (ms)",
        "circuit": "Circuit",
        "circuitNote": (
            "Circuit: the breaker's state at the end of the window, and how often it opened "
            "in the window (2×). ⚠️: degraded, and why."
        ),
        "status": "Status",
        "healthy": "ok",
        "why.circuit": "circuit",
        "why.failureRate": "errors",
        "why.p95": "slow",
        "noMcp": "No MCP calls in this window.",
        "topFailures": "Top failure reasons",
        "errorType": "Error type",
        "count": "Count",
        "example": "Example (redacted)",
        "otherFailures": "Other error types: {count} failures.",
        "noFailures": "No failures in this window.",
        "circuits": "Circuit breakers",
        "circuitCounts": "closed {closed} · open {open} · half-open {halfOpen}",
        "allClosed": "Every circuit breaker is closed.",
        "state": "State",
        "since": "Since",
        "notes": "Notes",
        "thresholds": (
            "Thresholds: warning below {warn} success or p95 above {p95}; critical below "
            "{critical}. An MCP is degraded when its breaker is not closed, or (with at least "
            "{sample} calls) its success rate or p95 crosses the warning line."
        ),
        "cutRows": "… {count} more MCPs are listed in the JSON archive.",
        "cut": "… report cut to fit {limit} characters; the full numbers are in the JSON archive.",
        "na": "n/a",
        "closed": "closed",
        "open": "open",
        "half-open": "half-open",
        "trend": "Trend over {n} weeks",
        "trend.events": "Events",
        "trend.successRate": "Success (%)",
        "trend.fail": "Failures",
        "trend.p95": "p95 (ms)",
        "trend.mcp": "p95 per MCP (ms)",
        "trend.failures": "Failures by error type",
        "trend.chart": "Failure rate per week (%)",
        "trend.chartAxis": "%",
        "followUp": "Follow-up of last week's proposals ({period})",
        "followUp.circuit": "circuit",
        "followUp.failureRate": "failure rate",
        "followUp.p95Ms": "p95",
        "followUp.circuitOpenCount": "breaker openings",
        "followUp.events": "events",
        "followUp.successRate": "success rate",
        "followUp.failures": "{errorType} failures",
        "followUp.malformedLines": "malformed lines",
        "followUp.again": "raised again",
        "followUp.notAgain": "not raised this week",
        "followUp.none": "Last week's report made no proposals.",
        "followUp.missing": "Nothing to follow up: {period} is not in the archive.",
        "followUp.unreadable": "Nothing to follow up: {problem}.",
        "followUp.skipped": "{n} of last week's proposals could not be read and are left out.",
    },
    "ja": {
        "title.daily": "日次オブザーバビリティレポート",
        "title.weekly": "週次オブザーバビリティレポート",
        "window": "対象期間",
        "alert": "アラート",
        "alert.OK": "正常 (OK)",
        "alert.WARNING": "警告 (WARNING)",
        "alert.CRITICAL": "重大 (CRITICAL)",
        "reason.successRateBelowCritical": "成功率が {critical} 未満",
        "reason.successRateBelowWarn": "成功率が {warn} 未満",
        "reason.noEvents": "期間内のイベントなし",
        "reason.mcpDegraded": "劣化している MCP が {count} 件",
        "summary": "概要",
        "metric": "指標",
        "value": "今回",
        "previous": "前回",
        "change": "変化",
        "events": "イベント数",
        "successRate": "成功率",
        "failures": "失敗数",
        "p95": "p95 レイテンシ (MCP 呼び出し)",
        "malformed": "スキップした不正行",
        "proposals": "改善提案",
        "noAction": "対応は不要です。すべての指標がしきい値内です。",
        "chart": "{bucket}ごとのイベント数と失敗数",
        "bucket.hour": "1 時間",
        "bucket.day": "1 日",
        "chart.events": "{bucket}ごとのイベント数 ({zone})",
        "chart.failures": "{bucket}ごとの失敗数 ({zone})",
        "chart.eventsAxis": "イベント",
        "chart.failuresAxis": "失敗",
        "mcps": "MCP 別",
        "mcp": "MCP",
        "calls": "呼び出し",
        "failed": "失敗数",
        "failureRate": "失敗率",
        "mean": "平均 (ms)",
        "p95short": "p95 (ms)",
        "circuit": "サーキット",
        "circuitNote": (
            "サーキット: 期間終了時のブレーカーの状態と、期間内に open になった回数 (2×)。"
            "⚠️: 劣化 (理由つき)。"
        ),
        "status": "状態",
        "healthy": "正常",
        "why.circuit": "サーキット",
        "why.failureRate": "失敗",
        "why.p95": "遅延",
        "noMcp": "この期間に MCP 呼び出しはありません。",
        "topFailures": "失敗理由トップ 5",
        "errorType": "エラー種別",
        "count": "件数",
        "example": "例 (マスク済み)",
        "otherFailures": "その他のエラー種別: {count} 件。",
        "noFailures": "この期間に失敗はありません。",
        "circuits": "サーキットブレーカー",
        "circuitCounts": "closed {closed} · open {open} · half-open {halfOpen}",
        "allClosed": "すべてのサーキットブレーカーは closed です。",
        "state": "状態",
        "since": "変化時刻",
        "notes": "注記",
        "thresholds": (
            "しきい値: 成功率 {warn} 未満または p95 {p95} 超で警告、成功率 {critical} 未満で重大。"
            "MCP は、サーキットが closed でない場合、または (呼び出し {sample} 件以上で) 成功率か "
            "p95 が警告ラインを越えた場合に「劣化」と判定します。"
        ),
        "cutRows": "… ほか {count} 件の MCP は JSON アーカイブを参照してください。",
        "cut": "… {limit} 文字に収めるため省略しました。全数値は JSON アーカイブにあります。",
        "na": "—",
        "closed": "closed",
        "open": "open",
        "half-open": "half-open",
        "trend": "{n} 週間の推移",
        "trend.events": "イベント数",
        "trend.successRate": "成功率 (%)",
        "trend.fail": "失敗数",
        "trend.p95": "p95 (ms)",
        "trend.mcp": "MCP 別 p95 (ms)",
        "trend.failures": "エラー種別ごとの失敗数",
        "trend.chart": "週ごとの失敗率 (%)",
        "trend.chartAxis": "%",
        "followUp": "先週の改善提案のその後 ({period})",
        "followUp.circuit": "サーキット",
        "followUp.failureRate": "失敗率",
        "followUp.p95Ms": "p95",
        "followUp.circuitOpenCount": "オープン回数",
        "followUp.events": "イベント数",
        "followUp.successRate": "成功率",
        "followUp.failures": "{errorType} の失敗数",
        "followUp.malformedLines": "不正行",
        "followUp.again": "今週も提案あり",
        "followUp.notAgain": "今週は提案なし",
        "followUp.none": "先週のレポートに改善提案はありませんでした。",
        "followUp.missing": "フォローアップなし: {period} はアーカイブにありません。",
        "followUp.unreadable": "フォローアップなし: {problem}。",
        "followUp.skipped": "先週の改善提案のうち {n} 件は読めなかったため省きました。",
    },
}

# kind -> (action, why) per locale. Placeholders are filled from Proposal.facts (formatted).
PROPOSALS: Mapping[Locale, Mapping[str, tuple[str, str]]] = {
    "en": {
        "circuitOpen": (
            "Check the upstream of {mcp}: its circuit breaker is open",
            "open since {since}; calls to it are rejected until a probe succeeds",
        ),
        "circuitHalfOpen": (
            "Watch {mcp}: its circuit breaker is half-open",
            "probing since {since}; it opens again if the probe fails",
        ),
        "failureRate": (
            "Look at the failing calls of {mcp} (logs, upstream status, recent changes)",
            "{failures} of {calls} calls failed ({rate})",
        ),
        "slowP95": (
            "Look at the latency of {mcp} (upstream capacity, timeouts, caching)",
            "p95 is {p95Ms}, above warnP95Ms ({thresholdMs})",
        ),
        "circuitFlapping": (
            "Find why the breaker of {mcp} keeps tripping, or tune its thresholds",
            "it opened {count} times in this window",
        ),
        "p95Regression": (
            "Check recent changes that affect {mcp}",
            "p95 rose from {previousP95Ms} to {p95Ms} since the previous window",
        ),
        "noEvents": (
            "Check that the proxy writes its event log (sources.events) and that the path is right",
            "the window has no events at all",
        ),
        "successDrop": (
            "Compare this window's failures with the previous one's",
            "the success rate fell from {previousRate} to {rate}",
        ),
        "errorType.TimeoutError": (
            "Review timeouts and the slowest upstreams",
            "{count} failures ({share}) are {errorType}",
        ),
        "errorType.RateLimitError": (
            "Add client-side backoff and caching, or ask for a higher upstream quota",
            "{count} failures ({share}) are {errorType}",
        ),
        "errorType.AuthError": (
            "Check the credentials the failing MCPs use (expired or rotated tokens, scopes)",
            "{count} failures ({share}) are {errorType}",
        ),
        "errorType.ConnectionError": (
            "Check network reachability, DNS and the health of the upstream hosts",
            "{count} failures ({share}) are {errorType}",
        ),
        "malformedLines": (
            "Check the log writer for truncated or invalid lines",
            "{count} lines ({share}) were skipped",
        ),
    },
    "ja": {
        "circuitOpen": (
            "{mcp} の上流を確認してください (サーキットブレーカーが open)",
            "{since} から open のままで、プローブが成功するまで呼び出しは拒否されます",
        ),
        "circuitHalfOpen": (
            "{mcp} を注視してください (サーキットブレーカーが half-open)",
            "{since} からプローブ中で、失敗すると再び open になります",
        ),
        "failureRate": (
            "{mcp} の失敗した呼び出しを調査してください (ログ、上流の状態、最近の変更)",
            "{calls} 件中 {failures} 件が失敗 ({rate})",
        ),
        "slowP95": (
            "{mcp} のレイテンシを調査してください (上流の容量、タイムアウト、キャッシュ)",
            "p95 が {p95Ms} で warnP95Ms ({thresholdMs}) を超えています",
        ),
        "circuitFlapping": (
            "{mcp} のブレーカーが繰り返し作動する原因を調べるか、しきい値を調整してください",
            "この期間に {count} 回 open になりました",
        ),
        "p95Regression": (
            "{mcp} に影響する最近の変更を確認してください",
            "p95 が前回の {previousP95Ms} から {p95Ms} に悪化しました",
        ),
        "noEvents": (
            (
                "プロキシがイベントログ (sources.events) を書いているか、"
                "パスが正しいか確認してください"
            ),
            "期間内のイベントが 0 件です",
        ),
        "successDrop": (
            "前回の期間と失敗の内訳を比較してください",
            "成功率が {previousRate} から {rate} に低下しました",
        ),
        "errorType.TimeoutError": (
            "タイムアウト設定と遅い上流を見直してください",
            "失敗のうち {count} 件 ({share}) が {errorType} です",
        ),
        "errorType.RateLimitError": (
            "クライアント側のバックオフとキャッシュを追加するか、上流のクォータ引き上げを検討してください",
            "失敗のうち {count} 件 ({share}) が {errorType} です",
        ),
        "errorType.AuthError": (
            (
                "失敗している MCP の認証情報 "
                "(期限切れ・ローテーション済みのトークン、スコープ) を確認してください"
            ),
            "失敗のうち {count} 件 ({share}) が {errorType} です",
        ),
        "errorType.ConnectionError": (
            "ネットワーク到達性、DNS、上流ホストの稼働状況を確認してください",
            "失敗のうち {count} 件 ({share}) が {errorType} です",
        ),
        "malformedLines": (
            "ログの書き込み側で途中切れや不正な行が出ていないか確認してください",
            "{count} 行 ({share}) をスキップしました",
        ),
    },
}


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_percent(value: float | None, na: str) -> str:
    if value is None:
        return na
    percent = value * 100
    # 99.96 % must not read as "100.0%": show one more digit near the ends.
    if 99.9 < percent < 100 or 0 < percent < 0.1:  # noqa: PLR2004
        return f"{percent:.2f}%"
    return f"{percent:.1f}%"


def fmt_ms(value: float | None, na: str) -> str:
    if value is None:
        return na
    if value < 100:  # noqa: PLR2004 - sub-100 ms latencies need their decimal
        return f"{value:,.1f} ms"
    return f"{value:,.0f} ms"


def fmt_ms_number(value: float | None, na: str) -> str:
    """A latency under a ``(ms)`` header: the number alone."""
    return fmt_ms(value, na).removesuffix(" ms")


def fmt_signed_int(value: int) -> str:
    return f"{value:+,}"


def fmt_points(value: float | None, na: str) -> str:
    """A difference of two rates, in percentage points."""
    return na if value is None else f"{value * 100:+.1f} pt"


def fmt_signed_ms(value: float | None, na: str) -> str:
    return na if value is None else f"{value:+,.0f} ms"
