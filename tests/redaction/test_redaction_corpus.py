"""Recall and damage on a broad corpus, and secrets written encoded or in Japanese."""

from __future__ import annotations

import itertools
import json
import random
from urllib.parse import quote

import pytest
from fake_secrets import SAMPLERS, survivors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redaction_corpus import KINDS, MUST_KEEP, positives, recall_and_damage

from ops_schedule.redaction import build_redactor

REDACTOR = build_redactor()
PH = "[REDACTED]"


def test_the_corpus_is_broad():
    cases = list(positives())
    assert len(cases) >= 200
    assert len({kind for kind, _, _ in cases}) >= 30
    assert len(KINDS) >= 30
    assert len(MUST_KEEP) >= 40


def test_recall_is_at_least_99_percent_and_must_keep_damage_at_most_1_percent():
    recall, damage, failures = recall_and_damage(REDACTOR.redact)
    assert recall >= 0.99, failures
    assert damage <= 0.01, failures


@pytest.mark.parametrize(("kind", "line", "secret"), list(positives()))
def test_redacting_a_corpus_line_twice_changes_nothing(kind, line, secret):
    once = REDACTOR.redact(line)
    assert REDACTOR.redact(once) == once


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        (
            "next=postgres%3A%2F%2Fapp%3Ahunter2x%40db%3A5432%2Fops&x=1",
            f"next=postgres%3A%2F%2Fapp%3A{PH}%40db%3A5432%2Fops&x=1",
        ),
        (
            "h=Authorization%3A%20Bearer%20abc123def456ghi789 ok",
            f"h=Authorization%3A%20Bearer%20{PH} ok",
        ),
        (
            "u=https%3A%2F%2Fops%3As3cr3tpass%40proxy%3A3128",
            f"u=https%3A%2F%2Fops%3A{PH}%40proxy%3A3128",
        ),
        (
            '{"dsn":"redis:\\/\\/default:pa55word99@cache:6379\\/0"}',
            f'{{"dsn":"redis:\\/\\/default:{PH}@cache:6379\\/0"}}',
        ),
        (
            '{"dsn":"redis\\u003a\\/\\/default\\u003apa55word99\\u0040cache"}',
            f'{{"dsn":"redis\\u003a\\/\\/default\\u003a{PH}\\u0040cache"}}',
        ),
    ],
)
def test_an_encoded_secret_is_replaced_where_it_is_written_and_the_rest_stays(written, redacted):
    assert REDACTOR.redact(written) == redacted


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        ("パスワード「pa55word」で失敗", f"パスワード「{PH}」で失敗"),
        ("【APIキー】abcd1234efgh を使用", f"【APIキー】{PH} を使用"),
        ("【トークン】：tok3n-value", f"【トークン】：{PH}"),
        ("アクセスキー：AK1234567 が拒否", f"アクセスキー：{PH} が拒否"),
        ("シークレット: s3cr3t-x（期限切れ）", f"シークレット: {PH}（期限切れ）"),
        ("秘密鍵=k3y-material 不正", f"秘密鍵={PH} 不正"),
        ("認証情報は「user:pa55」です", f"認証情報は「{PH}」です"),
        ("暗証番号：4821", f"暗証番号：{PH}"),
        ("ヘッダー Basic dXNlcjpwYXNzd29yZA==で失敗", f"ヘッダー Basic {PH}で失敗"),
        ("invalid api key provided (ak_12345678xyz)", f"invalid api key provided ({PH})"),
        ("Incorrect API key provided: ak-1234abcd5678.", f"Incorrect API key provided: {PH}."),
        ("APIキー（key1234abcd）が無効です", f"APIキー（{PH}）が無効です"),
    ],
)
def test_secrets_in_japanese_and_in_phrases_are_replaced_and_their_context_kept(written, redacted):
    assert REDACTOR.redact(written) == redacted


@pytest.mark.parametrize("line", MUST_KEEP)
def test_must_keep_text_is_unchanged(line):
    assert REDACTOR.redact(line) == line


secret_samples = st.tuples(st.sampled_from(sorted(SAMPLERS)), st.integers(0, 2**32)).map(
    lambda pair: SAMPLERS[pair[0]](random.Random(pair[1]))
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret_samples, st.sampled_from(["url", "url-twice", "json"]))
def test_a_secret_of_any_format_is_found_url_encoded_or_json_escaped(sample, encoding):
    if encoding == "url":
        line = f"GET /cb?state=1&next={quote(sample.text, safe='')} 302"
    elif encoding == "url-twice":
        line = f"GET /cb?next={quote(quote(sample.text, safe=''), safe='')} 302"
    else:
        line = '{"payload":"' + json.dumps(sample.text)[1:-1].replace("/", "\\/") + '"}'
    redacted = REDACTOR.redact(line)
    for piece in survivors(sample.secret, redacted):
        # Only the plain form of a piece counts; its encoded form was checked by decoding.
        assert piece not in redacted
    assert REDACTOR.redact(redacted) == redacted


@pytest.mark.parametrize("separator", ["\n", "\r\n", " ", "\n\n"])
def test_a_secret_is_redacted_whatever_secret_of_the_same_kind_comes_just_before_it(separator):
    # Two lines of one kind in a row: a match must not eat the boundary the next one needs.
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for kind, line, secret in positives():
        by_kind.setdefault(kind, []).append((line, secret))
    leaks = []
    for kind, cases in by_kind.items():
        for (first, first_secret), (second, second_secret) in itertools.pairwise(cases):
            redacted = REDACTOR.redact(first + separator + second)
            leaks.extend(
                (kind, secret, redacted)
                for secret in (first_secret, second_secret)
                if survivors(secret, redacted, size=min(8, len(secret)))
            )
    assert leaks == []


PHRASES = (
    "API key provided: {}",
    "Incorrect API key provided: {}.",
    "token used: {}",
    "invalid api key provided ({})",
    "パスワード：{}",
    "【APIキー】{}",
    "password={}",
)


@pytest.mark.parametrize("phrase", PHRASES)
@pytest.mark.parametrize("separator", ["\n", "\r\n", " ", ", "])
def test_a_value_known_only_by_its_phrase_is_redacted_on_every_line_in_a_row(phrase, separator):
    rng = random.Random(phrase + separator)
    # Letters and digits mixed: a value of letters alone is no credential in a sentence.
    values = ["".join(rng.choice("abcdefghkmnpqrstuvwxyzABCDEFGH-_") for _ in range(9)) + "7"]
    values += [v[::-1] for v in values] + [v.upper() for v in values]
    text = separator.join(phrase.format(value) for value in values)
    redacted = REDACTOR.redact(text)
    assert [value for value in values if value in redacted] == []
