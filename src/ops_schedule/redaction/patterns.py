"""The catalogue of secret formats the built-in redactor removes.

Every pattern is written in the RE2 dialect (no lookaround, no backreferences) so the whole
catalogue compiles into one linear-time automaton. Conventions:

* The named group ``secret`` is what gets replaced; the rest of the match is kept (a key name,
  ``Authorization: Bearer``, ``scheme://user:``, a quote, or the one boundary character in
  front). Without a ``secret`` group the whole match is replaced.
* Boundaries are explicit ASCII classes, never ``\\b``: Japanese text is written directly against
  secrets (``トークンは<token>です``), and a boundary that treats kana as a word character
  would miss them.
* ``<PH>`` stands for the escaped placeholder. Patterns that find a secret by its context (a key
  name, a header) accept the placeholder itself as the value first, so redacting twice changes
  nothing.

Formats are tried leftmost first, and at the same position in catalogue order: specific formats
before the generic ones, so a JWT or a PEM block is removed whole before any rule that would
take only part of it. Formats marked ``second_pass`` run over the result of the first pass.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDER_MARK = "<PH>"

# One ASCII character that cannot continue a token (or the start of the text), or a %-escape:
# in URL-encoded text the token of ``%20ghp_…`` starts after the escape, not at its digits.
_B = r"(?:^|[^A-Za-z0-9]|%(?:25)?[0-9A-Fa-f]{2})"
# The same, for token alphabets that include - and _ (base64url).
_B64 = r"(?:^|[^A-Za-z0-9_-]|%(?:25)?[0-9A-Fa-f]{2})"

_PEM = (
    r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
    # A block cut off (a truncated log line): take the base64 body and its headers.
    r"|[A-Za-z0-9+/=\s\\:,.-]*)"
)

# Key names whose value is a secret, matched as the end of the key: ``db_password``,
# ``GITHUB_TOKEN``, ``x-api-key``, ``clientSecret``, ``AccountKey``.
_KEY = (
    r"[A-Za-z0-9_.-]*(?i:passwd|password|passphrase|pwd|secret|token|api[_-]?key|"
    r"access[_-]?key|private[_-]?key|secret[_-]?key|accountkey|sharedaccesskey|"
    r"credentials?|session[_-]?key|signing[_-]?key|encryption[_-]?key)"
)
# ``key=``, ``key: ``, ``"key": ``, ``key => ``, and the same inside escaped JSON (``\"key\":``).
_KEY_SEP = _B + _KEY + r"""\\*["']?[ \t]*(?:[:=]|=>)[ \t]*"""
# An unquoted value: printable ASCII up to a delimiter (space, quote, comma, semicolon, &, |,
# brackets, backslash). Japanese after the value is not part of it.
_BARE = r"[A-Za-z0-9!#$%*+\-./:=?@^_~{}]+"

_VALUE_STOPWORDS = frozenset({"null", "none", "nil", "true", "false", "undefined", "n/a"})
# An already-masked value (``********``, ``xxxx``, ``••••``) is kept as it is: it is no secret,
# and replacing it would only hide that the writer masked it.
_MASK_CHARACTERS = frozenset("*xX•●＊#")


def _u(text: str) -> str:
    """``text`` as a pattern for the byte-wise (Latin-1) scanner: its UTF-8 bytes, escaped.

    The catalogue is matched on UTF-8 bytes, one byte per character, so Japanese in a pattern
    is written as the bytes it is made of.
    """
    return re.escape(text.encode("utf-8").decode("latin-1"))


def _one_of(*texts: str) -> str:
    return "(?:" + "|".join(_u(t) for t in texts) + ")"


def _not_followed_by(char: str) -> str:
    """One UTF-8 character other than ``char`` (and not a line break). The bytes of ``char``
    are a fixed sequence, so "any other character" is spelled out byte by byte."""
    data = char.encode("utf-8")
    options = ["[^\\n" + _byte(data[0]) + "]"]
    for index in range(1, len(data)):
        prefix = "".join(_byte(b) for b in data[:index])
        options.append(prefix + "[^" + _byte(data[index]) + "]")
    return "(?:" + "|".join(options) + ")"


def _byte(value: int) -> str:
    return f"\\x{value:02x}"


def _masked(value: str) -> bool:
    return set(value) <= _MASK_CHARACTERS


def _not_a_template_or_literal(value: str) -> bool:
    """``password: null``, ``token=${GITHUB_TOKEN}`` or ``password=********`` name no secret."""
    if value.lower() in _VALUE_STOPWORDS or _masked(value):
        return False
    return not value.startswith(("${", "{{", "$("))


def _keyword_value(value: str) -> bool:
    """A value after a Japanese keyword: not a literal or a mask, and not a short count
    (``トークン: 12``); a PIN of four digits or more is a secret."""
    return _not_a_template_or_literal(value) and not (value.isdigit() and len(value) < 4)  # noqa: PLR2004


def _credential_like(value: str) -> bool:
    """A value in a sentence about a key or token: letters and digits mixed, at least eight
    characters (``token (expired)``, ``token (v2)`` or a date are not credentials)."""
    return (
        len(value) >= 8  # noqa: PLR2004
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not _masked(value)
    )


def _basic_credentials(value: str) -> bool:
    """Base64 of ``user:password``, as HTTP Basic authentication sends it."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in text and text.isprintable()


# Japanese keywords whose value is a secret, and the separators Japanese text writes them with.
_JA_KEYWORD = _one_of(
    "パスワード", "暗証番号", "APIキー", "API キー", "アクセスキー", "トークン", "シークレット",
    "秘密鍵", "認証情報",
)  # fmt: skip
_JA_SPACE = "(?:[ \t]|" + _u("　") + ")*"
_JA_SEPARATOR = _JA_SPACE + "(?:[:=]|" + _one_of("：", "＝") + ")" + _JA_SPACE
_JA_QUOTED = (
    _u("「") + "(?P<{name}>" + PLACEHOLDER_MARK + "|" + _not_followed_by("」") + "+)" + _u("」")
)


_AUTH_SCHEMES = frozenset(
    {"bearer", "basic", "token", "digest", "bot", "apikey", "sso-key", "negotiate", "ntlm"}
)


def _header_value(value: str) -> bool:
    """``Authorization: Basic ********`` is masked already; the scheme alone is no secret."""
    # "Basic%" is the scheme and the start of an escape, in URL-encoded text.
    return value.rstrip("%=:.~+/-_").lower() not in _AUTH_SCHEMES and not _masked(value)


def _has_digit(value: str) -> bool:
    # "Bearer authenticationfailed" is prose; a real bearer token has a digit.
    return any(c.isdigit() for c in value)


@dataclass(frozen=True, slots=True)
class SecretFormat:
    """One kind of secret: its name in reports and tests, and how to find it."""

    name: str
    description: str  # shown by ``redact --formats``: in words, never a real-looking token
    pattern: str
    # Extra test on the ``secret`` text; a match that fails it is not a secret.
    accept: Callable[[str], bool] | None = None
    # The kept context may hold another secret (a token as the user name of a URL): redact it.
    recheck_context: bool = False
    # Found by a keyword somewhere before it: runs in a second pass, after every self-contained
    # format is gone, so the keyword's reach cannot swallow the first half of another secret.
    second_pass: bool = False


CATALOGUE: tuple[SecretFormat, ...] = (
    SecretFormat(
        "pem_private_key",
        "PEM private key blocks (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP), whole block",
        rf"(?P<secret>{_PEM})",
    ),
    SecretFormat(
        "jwt",
        "JSON Web Tokens (eyJ….….…), all parts, JWE too",
        _B64 + r"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"
        r"(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?=*)",
    ),
    SecretFormat(
        "github_token",
        "GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_ and fine-grained github_pat_",
        _B + r"(?P<secret>gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
    ),
    SecretFormat(
        "anthropic_key",
        "Anthropic API keys (sk-ant-…)",
        _B + r"(?P<secret>sk-ant-[A-Za-z0-9_-]{20,})",
    ),
    SecretFormat(
        "openai_key",
        "OpenAI API keys: sk-…, project keys sk-proj-…, service keys sk-svcacct-…, admin keys",
        _B + r"(?P<secret>sk-[A-Za-z0-9_-]{20,})",
    ),
    SecretFormat(
        "stripe_key",
        "Stripe secret, restricted and publishable keys (sk_/rk_/pk_ live or test), whsec_",
        _B + r"(?P<secret>(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/=]{20,})",
    ),
    SecretFormat(
        "slack_token",
        "Slack tokens (xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-, xoxe-) and app tokens (xapp-)",
        _B
        + r"(?P<secret>xox(?:[abposre]|e\.xox[bp])-[A-Za-z0-9-]{10,}"
        + r"|xapp-[0-9]+-[A-Za-z0-9-]{10,})",
    ),
    SecretFormat(
        "slack_webhook",
        "Slack incoming webhook and workflow URLs (the path after the host)",
        r"(?i:https?://hooks\.slack\.com/(?:services|workflows|triggers)/)"
        r"(?P<secret>[A-Za-z0-9/_+-]{8,})",
    ),
    SecretFormat(
        "aws_access_key_id",
        "AWS access key ids (AKIA…, ASIA… and the other four-letter prefixes, 20 characters)",
        _B + r"(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|"
        r"ASCA)[A-Z0-9]{16,})",
    ),
    SecretFormat(
        "aws_secret_key",
        "AWS secret access keys: a run of 40 or more base64 characters within 40 characters "
        "after 'aws' or 'secret'",
        r"(?i:aws|secret)[^\n]{0,40}?[^A-Za-z0-9/+](?P<secret>[A-Za-z0-9/+]{40,})",
        second_pass=True,
    ),
    SecretFormat(
        "google_api_key",
        "Google API keys (AIza…)",
        _B + r"(?P<secret>AIza[0-9A-Za-z_-]{30,})",
    ),
    SecretFormat(
        "google_oauth",
        "Google OAuth access tokens (ya29.…), refresh tokens (1//0…), client secrets (GOCSPX-…)",
        _B
        + r"(?P<secret>ya29\.[0-9A-Za-z_-]{20,}|1//0[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,})",
    ),
    SecretFormat(
        "npm_token",
        "npm access tokens (npm_…)",
        _B + r"(?P<secret>npm_[A-Za-z0-9]{30,})",
    ),
    SecretFormat(
        "pypi_token",
        "PyPI and TestPyPI API tokens (pypi-Ag…)",
        _B + r"(?P<secret>pypi-Ag[A-Za-z0-9_-]{20,})",
    ),
    SecretFormat(
        "sendgrid_key",
        "SendGrid API keys (SG.<id>.<secret>)",
        _B + r"(?P<secret>SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,})",
    ),
    SecretFormat(
        "twilio_sid",
        "Twilio API key and account SIDs (SK/AC + 32 hex)",
        _B + r"(?P<secret>(?:SK|AC)[0-9a-fA-F]{32})",
    ),
    SecretFormat(
        "gitlab_token",
        "GitLab tokens (glpat-, gldt-, glrt-, glptt-, glcbt-, glsoat- and the other gl…- kinds)",
        _B
        + r"(?P<secret>gl(?:pat|dt|rt|ptt|cbt|soat|ft|imt|agent|oas|ffct|wt)-[A-Za-z0-9_-]{20,})",
    ),
    SecretFormat(
        "huggingface_token",
        "Hugging Face tokens (hf_…)",
        _B + r"(?P<secret>hf_[A-Za-z0-9]{30,})",
    ),
    SecretFormat(
        "notion_token",
        "Notion integration secrets (secret_… and ntn_…)",
        _B + r"(?P<secret>(?:secret_|ntn_)[A-Za-z0-9]{30,})",
    ),
    SecretFormat(
        "discord_bot_token",
        "Discord bot tokens (<base64 id>.<timestamp>.<hmac>)",
        _B64 + r"(?P<secret>[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40})",
    ),
    SecretFormat(
        "discord_webhook",
        "Discord webhook URLs (the id and token after /api/webhooks/)",
        r"(?i:https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/)"
        r"(?P<secret>[0-9]+/[A-Za-z0-9_-]+)",
    ),
    SecretFormat(
        "telegram_bot_token",
        "Telegram bot tokens (<bot id>:AA…)",
        r"(?:^|[^0-9])(?P<secret>[0-9]{6,12}:AA[0-9A-Za-z_-]{30,})",
    ),
    SecretFormat(
        "azure_storage_key",
        "Azure storage account keys (AccountKey=…, SharedAccessKey=…) and SAS signatures (sig=…)",
        r"(?i:accountkey|sharedaccesskey)=(?P<secret>"
        + PLACEHOLDER_MARK
        + r"|[A-Za-z0-9+/=]{20,})|[?&;](?i:sig)=(?P<secret2>[A-Za-z0-9%+/=]{16,})",
    ),
    SecretFormat(
        "authorization_header",
        "Authorization and Proxy-Authorization header values (Bearer, Basic, token, …)",
        _B + r"""(?i:(?:proxy-)?authorization)\\*["']?[ \t]*[:=][ \t]*\\*["']?"""
        r"(?:(?i:bearer|basic|token|digest|bot|apikey|sso-key|negotiate|ntlm)[ \t]+)?"
        r"(?P<secret>" + PLACEHOLDER_MARK + r"|[A-Za-z0-9._~+/=:%-]+)",
        accept=_header_value,
    ),
    SecretFormat(
        "bearer_token",
        "Bearer tokens written without a header name ('Bearer <token>')",
        _B + r"(?i:bearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)",
        accept=_has_digit,
    ),
    SecretFormat(
        "basic_auth",
        "HTTP Basic credentials written without a header name ('Basic <base64 of user:password>')",
        _B + r"(?i:basic)(?:[ \t]|" + _u("\u3000") + r")+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})",
        accept=_basic_credentials,
    ),
    SecretFormat(
        "url_password",
        "Passwords in URLs and connection strings (scheme://user:<password>@host)",
        r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:\"'<>`]*:"
        r"(?P<secret>[^\s/?#\"'<>`]+)@",
        recheck_context=True,
    ),
    SecretFormat(
        "key_value",
        "Values of keys named like password, passwd, pwd, secret, token, api_key, "
        "access_token, client_secret, private_key, AccountKey in JSON, YAML, query strings, "
        "key=value and key: value text",
        _KEY_SEP
        + r'(?:"(?P<secret>'
        + PLACEHOLDER_MARK
        + "|"
        + _PEM
        + r'|(?:[^"\\\n]|\\.)+)'
        + r'|\\+"(?P<secret2>[^"\\\n]+)'
        + r"|'(?P<secret3>[^'\n]+)"
        + r"|(?P<secret4>"
        + PLACEHOLDER_MARK
        + "|"
        + _PEM
        + "|"
        + _BARE
        + "))",
        accept=_not_a_template_or_literal,
    ),
    SecretFormat(
        "japanese_keyword",
        "Values after Japanese keywords (パスワード, 暗証番号, APIキー, アクセスキー, トークン, "
        "シークレット, 秘密鍵, 認証情報) written with 「」, 【】, ：, : or =",
        # 【キー】value, 【キー】：value, 【キー】「value」
        _u("【")
        + _JA_KEYWORD
        + _u("】")
        + "(?:"
        + _JA_SEPARATOR
        + "|"
        + _JA_SPACE
        + ")"
        + "(?:"
        + _JA_QUOTED.format(name="secret")
        + "|(?P<secret2>"
        + PLACEHOLDER_MARK
        + "|"
        + _BARE
        + "))"
        # キー「value」, キーは「value」, キー：「value」
        + "|"
        + _JA_KEYWORD
        + "(?:"
        + _one_of("は", "が")
        + "|"
        + _JA_SEPARATOR
        + ")?"
        + _JA_QUOTED.format(name="secret3")
        # キー：value, キー: value, キー=value
        + "|"
        + _JA_KEYWORD
        + _JA_SEPARATOR
        + "(?P<secret4>"
        + PLACEHOLDER_MARK
        + "|"
        + _BARE
        + ")",
        accept=_keyword_value,
    ),
    SecretFormat(
        "key_phrase",
        "Credentials in a sentence about a key or token: 'invalid api key provided (<value>)', "
        "'API key provided: <value>', 'APIキー（<value>）'",
        _B + r"(?i:api[ _-]?keys?|access[ _-]?keys?|access[ _-]?tokens?|tokens?|secrets?|"
        r"passwords?|credentials?)"
        + r"(?:[ \t]+[A-Za-z]+){0,3}[ \t]*"
        + r"(?:(?:\(|"
        + _u("（")
        + r")[ \t]*(?P<secret>[^\s()]+?)[ \t]*(?:\)|"
        + _u("）")
        + ")"
        # Greedy, ending on a character that is no sentence's full stop, and consuming nothing
        # after the value: a line break or space after it is the next match's boundary.
        + r"|(?i:provided|supplied|given|used)[ \t]*:[ \t]*(?P<secret2>[^\s,;.]+(?:\.[^\s,;.]+)*))"
        + "|"
        + _one_of("APIキー", "アクセスキー", "トークン", "シークレット", "パスワード")
        + _u("（")
        + r"(?P<secret3>[!-~]+?)"
        + _u("）"),
        accept=_credential_like,
        second_pass=True,
    ),
    SecretFormat(
        "email",
        "E-mail addresses",
        r"(?:^|[^A-Za-z0-9._%+-])(?P<secret>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
        r"\.[A-Za-z]{2,})",
    ),
    SecretFormat(
        "long_alphanumeric",
        "Any run of 32 or more ASCII letters and digits (hex digests, unknown API keys), "
        "with the base64 characters (+ / =) joined to it",
        # The escape first: ``%20<key>`` must not take the 20 into the key.
        r"(?:%(?:25)?[0-9A-Fa-f]{2}|^|[^A-Za-z0-9+/])"
        r"(?P<secret>[A-Za-z0-9+/]*[A-Za-z0-9]{32,}[A-Za-z0-9+/]*=*)",
    ),
)
