"""The digest's words in each locale: proposal actions by cause category, and labels."""

from __future__ import annotations

from ops_schedule.config import Locale
from ops_schedule.reports.digest.causes import CauseCategory

__all__ = ["ACTIONS", "TEXT"]


# What to do about each category of cause. {components} names the affected components;
# {cause} (used by the fallback) the cause itself.
ACTIONS: dict[Locale, dict[CauseCategory, str]] = {
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

TEXT: dict[Locale, dict[str, str]] = {
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
        "cause_details": "{rank}. Example: {example} — components: {components}",
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
        "trend": "Trend over {n} weeks",
        "trend_chart": "Incidents per week",
        "trend_axis": "incidents",
        "trend_causes": "This week's top causes, week by week",
        "follow_up": "Follow-up of last week's proposals ({period})",
        "follow_up_line": "{cause}: {before} → {now}, {mark} — {verdict}",
        "follow_up_none": "Last week's digest made no proposals.",
        "follow_up_missing": "Nothing to follow up: {period} is not in the archive.",
        "follow_up_unreadable": "Nothing to follow up: {problem}.",
        "verdict_gone": "did not recur",
        "verdict_fewer": "fewer",
        "verdict_same": "unchanged",
        "verdict_more": "more",
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
        "cause_details": "{rank}. 例: {example} — コンポーネント: {components}",
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
        "trend": "{n} 週間の推移",
        "trend_chart": "週ごとのインシデント数",
        "trend_axis": "件数",
        "trend_causes": "今週の主な原因の週ごとの件数",
        "follow_up": "先週の改善提案のその後 ({period})",
        "follow_up_line": "{cause}: {before} → {now}、{mark} — {verdict}",
        "follow_up_none": "先週のダイジェストに改善提案はありませんでした。",
        "follow_up_missing": "フォローアップなし: {period} はアーカイブにありません。",
        "follow_up_unreadable": "フォローアップなし: {problem}。",
        "verdict_gone": "再発なし",
        "verdict_fewer": "減少",
        "verdict_same": "変化なし",
        "verdict_more": "増加",
    },
}
