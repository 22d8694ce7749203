"""Fake secrets of every format the redactor knows, generated at run time.

Nothing here is a real credential, and no token-shaped literal is written down: every value is
drawn from a seeded ``random.Random`` so a failing case can be reproduced.

``SAMPLERS[name](rng)`` gives a :class:`Sample`: the text to put into a log or report line (the
secret with whatever context its format needs, e.g. ``Authorization: Bearer``) and the secret
itself, which must not survive redaction in any 8-character piece.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
PASSWORD_CHARS = ALNUM + "!#%*+-./:=?^_~"


@dataclass(frozen=True)
class Sample:
    text: str  # what goes into the line
    secret: str  # what must disappear


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, alphabet: str, n: int) -> str:
    # Real keys are random: make sure letters and digits both occur, as they would.
    while True:
        value = _draw(rng, alphabet, n)
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def _token(prefix: str, alphabet: str, n: int) -> Callable[[random.Random], Sample]:
    def make(rng: random.Random) -> Sample:
        value = prefix + _mixed(rng, alphabet, n)
        return Sample(value, value)

    return make


def _b64url_json(obj: object) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def pem(rng: random.Random) -> Sample:
    kind = rng.choice(["RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "", "DSA "])
    body = "\n".join(_draw(rng, B64, 64) for _ in range(rng.randint(3, 8)))
    tail = _draw(rng, B64, rng.randint(4, 60)) + "=" * rng.randint(0, 2)
    block = f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n{tail}\n-----END {kind}PRIVATE KEY-----"
    return Sample(block, block)


def jwt(rng: random.Random) -> Sample:
    header = _b64url_json({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    payload = _b64url_json(
        {"sub": _draw(rng, ALNUM, 12), "iat": rng.randint(1_600_000_000, 1_800_000_000)}
    )
    token = f"{header}.{payload}.{_mixed(rng, B64URL, 43)}"
    return Sample(token, token)


def github(rng: random.Random) -> Sample:
    if rng.random() < 0.3:
        value = "github_pat_" + _mixed(rng, ALNUM, 22) + "_" + _mixed(rng, ALNUM, 59)
    else:
        value = "gh" + rng.choice("pousr") + "_" + _mixed(rng, ALNUM, 36)
    return Sample(value, value)


def openai(rng: random.Random) -> Sample:
    prefix = rng.choice(["sk-", "sk-proj-", "sk-svcacct-", "sk-admin-"])
    n = 48 if prefix == "sk-" else rng.choice([48, 74, 156])
    value = prefix + _mixed(rng, ALNUM + ("-_" if prefix != "sk-" else ""), n)
    return Sample(value, value)


def anthropic(rng: random.Random) -> Sample:
    value = "sk-ant-" + rng.choice(["api03-", "admin01-"]) + _mixed(rng, B64URL, 93) + "AA"
    return Sample(value, value)


def stripe(rng: random.Random) -> Sample:
    if rng.random() < 0.2:
        value = "whsec_" + _mixed(rng, ALNUM, 32)
    else:
        value = rng.choice(["sk", "rk", "pk"]) + rng.choice(["_live_", "_test_"])
        value += _mixed(rng, ALNUM, rng.choice([24, 99]))
    return Sample(value, value)


def slack_token(rng: random.Random) -> Sample:
    if rng.random() < 0.3:
        value = f"xapp-1-A{_draw(rng, UPPER_DIGITS, 10)}-{_draw(rng, string.digits, 13)}-"
        value += _draw(rng, HEX, 64)
    else:
        value = f"xox{rng.choice('bpaors')}-{_draw(rng, string.digits, 12)}-"
        value += f"{_draw(rng, string.digits, 13)}-{_mixed(rng, ALNUM, 24)}"
    return Sample(value, value)


def slack_webhook(rng: random.Random) -> Sample:
    path = (
        f"T{_draw(rng, UPPER_DIGITS, 8)}/B{_draw(rng, UPPER_DIGITS, 10)}/{_mixed(rng, ALNUM, 24)}"
    )
    return Sample(f"https://hooks.slack.com/services/{path}", path)


def aws_access_key_id(rng: random.Random) -> Sample:
    value = rng.choice(["AKIA", "ASIA", "AROA", "AIDA"]) + _mixed(rng, UPPER_DIGITS, 16)
    return Sample(value, value)


def aws_secret_key(rng: random.Random) -> Sample:
    while True:
        key = _mixed(rng, B64, 40)
        if "/" in key or "+" in key:  # else it is caught as a long alphanumeric run anyway
            break
    context = rng.choice(["AWS secret access key: ", "aws credentials ", "secret key "])
    return Sample(context + key, key)


def google_api_key(rng: random.Random) -> Sample:
    return _token("AIza", B64URL, 35)(rng)


def google_oauth(rng: random.Random) -> Sample:
    choice = rng.randrange(3)
    if choice == 0:
        value = "ya29." + _mixed(rng, B64URL, rng.choice([72, 150]))
    elif choice == 1:
        value = "1//0" + _mixed(rng, B64URL, 60)
    else:
        value = "GOCSPX-" + _mixed(rng, B64URL, 28)
    return Sample(value, value)


def npm(rng: random.Random) -> Sample:
    return _token("npm_", ALNUM, 36)(rng)


def pypi(rng: random.Random) -> Sample:
    # Real PyPI tokens start with the base64 of a macaroon header naming pypi.org.
    head = base64.b64encode(b"\x02\x01\x08pypi.org").decode().rstrip("=")
    return _token("pypi-" + head, B64URL, 120)(rng)


def sendgrid(rng: random.Random) -> Sample:
    value = f"SG.{_mixed(rng, B64URL, 22)}.{_mixed(rng, B64URL, 43)}"
    return Sample(value, value)


def twilio(rng: random.Random) -> Sample:
    value = rng.choice(["SK", "AC"]) + _mixed(rng, HEX, 32)
    return Sample(value, value)


def gitlab(rng: random.Random) -> Sample:
    return _token(rng.choice(["glpat-", "gldt-", "glrt-", "glptt-"]), B64URL, 20)(rng)


def huggingface(rng: random.Random) -> Sample:
    return _token("hf_", ALNUM, 34)(rng)


def notion(rng: random.Random) -> Sample:
    if rng.random() < 0.5:
        return _token("secret_", ALNUM, 43)(rng)
    return _token("ntn_", ALNUM, 46)(rng)


def discord_bot_token(rng: random.Random) -> Sample:
    user_id = base64.b64encode(str(rng.randint(10**17, 10**18)).encode()).decode().rstrip("=")
    value = f"{user_id}.{_mixed(rng, B64URL, 6)}.{_mixed(rng, B64URL, 38)}"
    return Sample(value, value)


def discord_webhook(rng: random.Random) -> Sample:
    path = f"{rng.randint(10**17, 10**18)}/{_mixed(rng, B64URL, 68)}"
    return Sample(f"https://discord.com/api/webhooks/{path}", path)


def telegram(rng: random.Random) -> Sample:
    value = f"{rng.randint(10**8, 10**10)}:AA{_mixed(rng, B64URL, 33)}"
    return Sample(value, value)


def azure_storage_key(rng: random.Random) -> Sample:
    if rng.random() < 0.3:
        sig = _mixed(rng, ALNUM, 43) + "%3D"
        return Sample(f"https://acct.blob.core.windows.net/c?sv=2022-11-02&sig={sig}&se=1", sig)
    key = _mixed(rng, B64, 86) + "=="
    text = (
        "DefaultEndpointsProtocol=https;AccountName=opsarchive;"
        f"AccountKey={key};EndpointSuffix=core.windows.net"
    )
    return Sample(text, key)


def authorization_header(rng: random.Random) -> Sample:
    if rng.random() < 0.5:
        user = _draw(rng, string.ascii_lowercase, 6)
        value = base64.b64encode(f"{user}:{_mixed(rng, ALNUM, 14)}".encode()).decode()
        return Sample(f"Authorization: Basic {value}", value)
    value = _mixed(rng, B64URL + ".~", 40)
    header = rng.choice(["Authorization: Bearer ", "authorization=Bearer ", '"Authorization": "'])
    if header.endswith('"'):
        header += "Bearer "
    return Sample(header + value, value)


def basic_auth(rng: random.Random) -> Sample:
    user = _draw(rng, string.ascii_lowercase, rng.randint(3, 8))
    value = base64.b64encode(f"{user}:{_mixed(rng, PASSWORD_CHARS, 12)}".encode()).decode()
    return Sample(rng.choice(["Basic ", "basic ", "Basic\u3000"]) + value, value)


JAPANESE_KEYWORDS = (
    "パスワード",
    "暗証番号",
    "APIキー",
    "アクセスキー",
    "トークン",
    "シークレット",
    "秘密鍵",
    "認証情報",
)


def japanese_keyword(rng: random.Random) -> Sample:
    keyword = rng.choice(JAPANESE_KEYWORDS)
    value = _mixed(rng, PASSWORD_CHARS, rng.randint(10, 20))
    form = rng.choice(["「{v}」", "：{v}", ": {v}", "={v}", "は「{v}」"])
    if rng.random() < 0.3:
        return Sample(f"【{keyword}】{value}", value)
    return Sample(keyword + form.format(v=value), value)


def key_phrase(rng: random.Random) -> Sample:
    value = _mixed(rng, ALNUM + "-_.", rng.randint(10, 24))
    text = rng.choice(
        [
            "invalid api key provided ({v})",
            "Incorrect API key provided: {v}",
            "the access token ({v}) was revoked",
            "APIキー（{v}）が無効です",
        ]
    )
    return Sample(text.format(v=value), value)


def bearer_token(rng: random.Random) -> Sample:
    value = _mixed(rng, B64URL + ".~", rng.randint(20, 60))
    return Sample("Bearer " + value, value)


def url_password(rng: random.Random) -> Sample:
    password = _mixed(rng, ALNUM + "!$*-._~", rng.randint(10, 24))
    scheme, host = rng.choice(
        [
            ("postgres", "db.internal:5432/app"),
            ("redis", "cache:6379/0"),
            ("mongodb+srv", "cluster0.example.net/ops"),
            ("https", "registry.example.com/v2/"),
        ]
    )
    user = rng.choice(["app", "ops_reader", ""])
    return Sample(f"{scheme}://{user}:{password}@{host}", password)


def key_value(rng: random.Random) -> Sample:
    key = rng.choice(
        [
            "password",
            "db_password",
            "DB_PASSWORD",
            "passwd",
            "pwd",
            "secret",
            "client_secret",
            "clientSecret",
            "token",
            "access_token",
            "refresh_token",
            "api_key",
            "apikey",
            "X-Api-Key",
            "private_key",
            "GITHUB_TOKEN",
        ]
    )
    value = _mixed(rng, PASSWORD_CHARS, rng.randint(10, 24))
    spaced = value[:6] + " " + value[6:] + " パス"  # quoted values may hold spaces
    forms = [
        (f'{{"{key}": "{value}", "retries": 3}}', value),
        (f'{{"{key}":"{spaced}"}}', spaced),
        (f"{key}: {value}", value),
        (f"https://api.example.com/v1/items?{key}={value}&page=2", value),
        (f"{key}='{value}'", value),
        (f'{{\\"{key}\\": \\"{value}\\"}}', value),
        (f"{key}={value}", value),
    ]
    text, secret = rng.choice(forms)
    return Sample(text, secret)


def email(rng: random.Random) -> Sample:
    local = _draw(rng, string.ascii_lowercase, rng.randint(3, 10)) + rng.choice(["", ".ops", "+x"])
    # A random domain: a fixed one would also appear in other lines' harmless context.
    domain = _draw(rng, string.ascii_lowercase, 8) + rng.choice([".com", ".co.jp", ".net"])
    value = f"{local}@{domain}"
    return Sample(value, value)


def long_alphanumeric(rng: random.Random) -> Sample:
    return _token("", ALNUM, rng.randint(32, 64))(rng)


SAMPLERS: dict[str, Callable[[random.Random], Sample]] = {
    "pem_private_key": pem,
    "jwt": jwt,
    "github_token": github,
    "anthropic_key": anthropic,
    "openai_key": openai,
    "stripe_key": stripe,
    "slack_token": slack_token,
    "slack_webhook": slack_webhook,
    "aws_access_key_id": aws_access_key_id,
    "aws_secret_key": aws_secret_key,
    "google_api_key": google_api_key,
    "google_oauth": google_oauth,
    "npm_token": npm,
    "pypi_token": pypi,
    "sendgrid_key": sendgrid,
    "twilio_sid": twilio,
    "gitlab_token": gitlab,
    "huggingface_token": huggingface,
    "notion_token": notion,
    "discord_bot_token": discord_bot_token,
    "discord_webhook": discord_webhook,
    "telegram_bot_token": telegram,
    "azure_storage_key": azure_storage_key,
    "authorization_header": authorization_header,
    "bearer_token": bearer_token,
    "basic_auth": basic_auth,
    "url_password": url_password,
    "key_value": key_value,
    "japanese_keyword": japanese_keyword,
    "key_phrase": key_phrase,
    "email": email,
    "long_alphanumeric": long_alphanumeric,
}


def pieces(secret: str, size: int = 8) -> set[str]:
    """Every ``size``-character piece of ``secret`` that is worth looking for."""
    if len(secret) < size:
        return {secret}
    return {secret[i : i + size] for i in range(len(secret) - size + 1)} - {""}


def survivors(secret: str, redacted: str, size: int = 8) -> list[str]:
    """The pieces of ``secret`` still present in ``redacted`` (empty when it is gone)."""
    return sorted(p for p in pieces(secret, size) if p in redacted and any(c.isalnum() for c in p))


def leftover_secrets(samples: dict[str, Sample], text: str, token: str) -> dict[str, list[str]]:
    """Per sample name (and ``GITHUB_TOKEN``), the pieces of its secret still in ``text``."""
    found = {name: survivors(sample.secret, text) for name, sample in samples.items()}
    found["GITHUB_TOKEN"] = survivors(token, text)
    return {name: pieces for name, pieces in found.items() if pieces}
