"""A broad corpus for measuring the redactor: secrets in the places real logs put them, and
ordinary text that must come out unchanged.

``positives()`` yields ``(kind, line, secret)``: more than 200 secrets of more than 30 kinds,
each written into a log line the way this proxy's upstreams, clients and operators write them
(English and Japanese messages, JSON, escaped JSON, URL-encoded query strings, headers).
``MUST_KEEP`` is text that looks close to a secret but is not one. Every value is generated
at run time from a seeded ``random.Random``: no token-shaped literal is written down.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Iterator
from urllib.parse import quote

from fake_secrets import ALNUM, JAPANESE_KEYWORDS, SAMPLERS, _mixed

CASES_PER_KIND = 6
PASSWORD = ALNUM + "!#%*+-.:=?^_~"

# Realistic places for a self-describing token (a known format).
FORMAT_CONTEXTS = (
    "2026-11-26T09:00:01Z ERROR mcp=github status=fail message=upstream rejected {s}",
    '{{"level":"error","msg":"auth failed","detail":"{j}"}}',
    "認証に失敗しました: {s} は無効です",
    "retrying request with credential {s} (attempt 2/5)",
    "> upstream body: {s}",
    "設定値 {s} を読み込みました",
)


def _json_inner(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _format_kind(name: str) -> Callable[[random.Random, int], tuple[str, str]]:
    def make(rng: random.Random, index: int) -> tuple[str, str]:
        sample = SAMPLERS[name](rng)
        context = FORMAT_CONTEXTS[index % len(FORMAT_CONTEXTS)]
        return context.format(s=sample.text, j=_json_inner(sample.text)), sample.secret

    return make


def _password(rng: random.Random) -> str:
    return _mixed(rng, PASSWORD, rng.randint(10, 20))


def _key(rng: random.Random) -> str:
    return _mixed(rng, ALNUM, rng.randint(16, 28))


def _japanese(form: str) -> Callable[[random.Random, int], tuple[str, str]]:
    def make(rng: random.Random, index: int) -> tuple[str, str]:
        keyword = JAPANESE_KEYWORDS[(index + 3 * len(form)) % len(JAPANESE_KEYWORDS)]
        value = (
            "".join(rng.choice(string.digits) for _ in range(rng.choice([4, 6, 8])))
            if keyword == "暗証番号"
            else rng.choice([_password, _key])(rng)
        )
        line = {
            "kagi": f"{keyword}「{value}」で接続に失敗しました",
            "kagi_wa": f"設定された{keyword}は「{value}」です",
            "sumitsuki": f"【{keyword}】{value} を使用して再試行します",
            "sumitsuki_colon": f"【{keyword}】：{value}",
            "zenkaku_colon": f"{keyword}：{value} が拒否されました",
            "colon": f"{keyword}: {value}（期限切れ）",
            "equals": f"[WARN] {keyword}={value} 認証エラー",
        }[form]
        return line, value

    return make


def _basic_in_japanese(rng: random.Random, index: int) -> tuple[str, str]:
    user = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 8)))
    value = base64.b64encode(f"{user}:{_password(rng)}".encode()).decode()
    line = [
        f"認証ヘッダー Basic {value} で401が返りました",
        f"ベーシック認証(Basic {value})に失敗",
        f"送信したヘッダー：Basic　{value}。再設定してください",
    ][index % 3]
    return line, value


def _paren_phrase(rng: random.Random, index: int) -> tuple[str, str]:
    value = rng.choice([_password, _key])(rng)
    line = [
        f"Error: invalid api key provided ({value})",
        f"401 Unauthorized: Incorrect API key provided: {value}.",
        f"upstream refused the access token ({value}); re-authenticate",
        f"token for tenant acme ({value}) has been revoked",
        f"APIキー（{value}）が無効です",
        f"invalid token supplied: {value}",
    ][index % 6]
    return line, value


def _url_encoded(rng: random.Random, index: int) -> tuple[str, str]:
    choice = index % 4
    if choice == 0:
        password = _password(rng)  # escaped inside the URL, as a valid DSN has it
        inner = f"postgres://app:{quote(password, safe='')}@db.internal:5432/ops"
        return f"GET /callback?next={quote(inner, safe='')} 302", password
    if choice == 1:
        token = _key(rng) + _key(rng)
        return f"header=Authorization%3A%20Bearer%20{token}&retry=1", token
    if choice == 2:
        password = _mixed(rng, ALNUM, 14)
        return f"proxy_url=https%3A%2F%2Fops%3A{password}%40proxy.internal%3A3128 failed", password
    sample = SAMPLERS["slack_webhook"](rng)
    return f"POST /hook?u={quote(sample.text, safe='')} 500", sample.secret


def _json_escaped(rng: random.Random, index: int) -> tuple[str, str]:
    choice = index % 3
    if choice == 0:
        sample = SAMPLERS["slack_webhook"](rng)
    elif choice == 1:
        sample = SAMPLERS["discord_webhook"](rng)
    else:
        sample = SAMPLERS["url_password"](rng)
    escaped = json.dumps(sample.text)[1:-1].replace("/", "\\/")
    return f'{{"event":"notify","payload":"{{\\"url\\":\\"{escaped}\\"}}"}}', sample.secret


def _json_unicode_escaped(rng: random.Random, index: int) -> tuple[str, str]:
    password = _mixed(rng, ALNUM, 16)
    url = f"redis://default:{password}@cache.internal:6379/0"
    escaped = url.replace(":", "\\u003a").replace("@", "\\u0040").replace("/", "\\/")
    return f'{{"msg":"connect failed","dsn":"{escaped}"}}', password


KINDS: dict[str, Callable[[random.Random, int], tuple[str, str]]] = {
    **{f"format:{name}": _format_kind(name) for name in sorted(SAMPLERS)},
    **{
        f"japanese:{form}": _japanese(form)
        for form in ("kagi", "kagi_wa", "sumitsuki", "sumitsuki_colon", "zenkaku_colon", "colon")
    },
    "japanese:equals": _japanese("equals"),
    "basic auth in Japanese": _basic_in_japanese,
    "credential in a phrase": _paren_phrase,
    "URL-encoded": _url_encoded,
    "JSON-escaped": _json_escaped,
    "JSON unicode-escaped": _json_unicode_escaped,
}


def positives() -> Iterator[tuple[str, str, str]]:
    for kind, make in KINDS.items():
        for index in range(CASES_PER_KIND):
            line, secret = make(random.Random(f"corpus/{kind}/{index}"), index)
            yield kind, line, secret


# Ordinary text close to secrets: keywords without values, values that name no secret,
# already-masked values, encoded text without credentials.
MUST_KEEP = (
    "パスワードを変更しました。次回ログイン時に有効になります。",
    "トークンの有効期限が切れたため再発行しました",
    "APIキーが設定されていません（sources.events を確認）",
    "アクセスキーのローテーションは毎月1日です",
    "シークレットの保存先: Vault",
    "秘密鍵の形式が不正です",
    "認証情報を更新してください",
    "暗証番号の入力が3回失敗しました",
    "トークン数: 4096、トークン使用量: 1532",
    "パスワード: ********",
    "【パスワード】********",
    "トークン「********」は無効です",
    "password=******** user=admin",
    '{"password": "********", "user": "ops"}',
    "api_key: ****************",
    "Authorization: Basic ********",
    "token (expired)",
    "invalid api key provided (see https://platform.example.com/account/api-keys)",
    "the access token (v2) is deprecated",
    "token count (2026-11-26): 12,345",
    "password (unchanged)",
    "Basic usage: ops-schedule status --json",
    "Basic authentication required",
    "Bearer authentication failed for github",
    "GET /search?q=%E9%9A%9C%E5%AE%B3%20%E5%A0%B1%E5%91%8A&page=2 200",
    "redirect=https%3A%2F%2Fgithub.com%2Facme%2Fproxy%2Fissues%2F12 302",
    "path=%2Fvar%2Flog%2Fmcp%2Fevents.jsonl size=1234",
    '{"url":"https:\\/\\/github.com\\/acme\\/proxy\\/pull\\/7","state":"open"}',
    '{"msg":"\\u30bf\\u30a4\\u30e0\\u30a2\\u30a6\\u30c8","ms":30000}',
    "progress 45%20 items",
    "100%25 complete",
    "max_tokens=4096 tokens_used=1532 token_count: 17",
    "Rotate the API token before it expires; check the secret store for stale entries.",
    "トークンの有効期限切れが3件、パスワード変更後の再認証エラーが1件ありました。",
    "errorType=UpstreamTimeoutError durationMs=30000 status=fail runId=run-7f3a9c",
    "incident 550e8400-e29b-41d4-a716-446655440000 resolved after 42 minutes",
    "commit a1b2c3d, build deadbeef, request id 4f9c2e1a",
    "APIキー: 未設定",
    "パスワード：変更済み",
    "認証情報=なし",
    "シークレット: null",
    "トークン: ${GITHUB_TOKEN}",
    "| github | 1,204 | 37 | 3.1% | 412.5 ms | 2,310 ms | closed |",
    "成功率は97.1%でした。タイムアウトが主な原因です。",
    "C:\\ops\\logs\\report.json and \\\\server\\share\\ops",
    "regex \\d+\\/\\d+ matched 12 lines",
    "query a%2Cb%2Cc split into 3",
)


def recall_and_damage(redact: Callable[[str], str]) -> tuple[float, float, list[object]]:
    """(recall over the positives, share of must-keep lines changed, the failures)."""
    from fake_secrets import survivors

    cases = list(positives())
    missed = [
        (kind, line, redact(line))
        for kind, line, secret in cases
        if survivors(secret, redact(line), size=min(8, len(secret)))
    ]
    damaged = [line for line in MUST_KEEP if redact(line) != line]
    return 1 - len(missed) / len(cases), len(damaged) / len(MUST_KEEP), [*missed, *damaged]
