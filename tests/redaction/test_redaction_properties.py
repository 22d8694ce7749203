from __future__ import annotations

import random

import pytest
from fake_secrets import SAMPLERS, survivors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_redaction import CLEAN_LINES

from ops_schedule.redaction import build_redactor

# Heavy properties whose result cannot depend on the host's zone: run once per `make test`.
pytestmark = pytest.mark.property

REDACTOR = build_redactor()

JAPANESE = "あいうえおかきくけこさしすせそアイウエオカタナ日本語漢字報告障害成功率、。「」・ー"
# Characters that end a token: where a secret sits in real text.
SEPARATORS = [" ", "\n", "\t", "|", "`", '"', "'", "(", ")", "[", "]", "<", ">", ",", ";"]
SEPARATORS += list("、。「」：は")

any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)
# Random words: short ASCII runs (well below the 32-character rule), kana, kanji, punctuation.
word = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
    st.text(alphabet=JAPANESE, min_size=1, max_size=12),
    st.sampled_from(["-", "—", "%", "#", "*", "|", "/", ":", ".", "…", "→"]),
)
clean_piece = st.one_of(st.sampled_from(CLEAN_LINES), word)
clean_text = st.lists(clean_piece, max_size=30).flatmap(
    lambda pieces: st.lists(
        st.sampled_from([" ", "\n", " | ", "、", "。"]),
        min_size=len(pieces),
        max_size=len(pieces),
    ).map(lambda seps: "".join(p + s for p, s in zip(pieces, seps, strict=True)))
)
random_text = st.lists(word, max_size=20).map(" ".join)
secret_samples = st.tuples(st.sampled_from(sorted(SAMPLERS)), st.integers(0, 2**32)).map(
    lambda pair: SAMPLERS[pair[0]](random.Random(pair[1]))
)

PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(any_text)
def test_redaction_is_idempotent_on_any_text(text):
    once = REDACTOR.redact(text)
    assert REDACTOR.redact(once) == once


OTHER_PLACEHOLDERS = [build_redactor(placeholder=p) for p in ("***", "<secret>", "＊＊伏字＊＊")]


@PROPERTY_SETTINGS
@given(random_text, secret_samples, random_text, st.sampled_from(SEPARATORS))
def test_redaction_is_idempotent_around_secrets(before, sample, after, sep):
    for redactor in [REDACTOR, *OTHER_PLACEHOLDERS]:
        once = redactor.redact(before + sep + sample.text + sep + after)
        assert redactor.redact(once) == once


@PROPERTY_SETTINGS
@given(clean_text)
def test_text_without_secrets_is_unchanged(text):
    assert REDACTOR.redact(text) == text


@PROPERTY_SETTINGS
@given(
    random_text,
    secret_samples,
    random_text,
    st.sampled_from(SEPARATORS),
    st.sampled_from(SEPARATORS),
)
def test_no_eight_character_piece_of_a_secret_survives_anywhere_in_random_text(
    before, sample, after, left, right
):
    redacted = REDACTOR.redact(before + left + sample.text + right + after)
    assert survivors(sample.secret, redacted) == []
