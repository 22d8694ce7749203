"""The redactor finds exactly what scans of the whole text find, looking only where the candidate
scan points (docs/redaction.md, "How it stays fast"); and each line on its own, in one go."""

from __future__ import annotations

import random
import re
from contextlib import contextmanager
from unittest import mock

import pytest
from fake_secrets import SAMPLERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redaction_corpus import MUST_KEEP, positives

import ops_schedule.redaction.redactor as redactor_module
from ops_schedule.redaction import StreamRedactor, build_redactor
from ops_schedule.redaction.encoded import ESCAPE
from ops_schedule.redaction.regions import (
    escaped_lines,
    lines_of,
    merged,
    regions,
    touched_lines,
)

REDACTORS = [
    build_redactor(),
    build_redactor(placeholder="<secret>"),
    build_redactor(placeholder="＊＊伏字＊＊"),
    build_redactor(["CUST-[0-9]{6}", "(?i)internal-[a-z0-9]{12}"]),
    build_redactor(["^ROOT-[0-9]+", "[^ ]+@corp\\.example$"]),
]


@contextmanager
def regional(*, on: bool):
    """Every text looked at through regions (``on``), or none: the whole text scanned by each
    pass, as the redactor always did."""
    with mock.patch.object(redactor_module, "_MIN_REGIONAL", 0 if on else 1 << 62):
        yield


def _whole_and_regional(redactor, text):
    with regional(on=False):
        whole = (redactor.redact(text), redactor.findings(text))
    with regional(on=True):
        regional_ = (redactor.redact(text), redactor.findings(text))
    return whole, regional_


def _line_by_line(redactor, text):
    lines = text.splitlines(keepends=True)
    counts: dict[str, int] = {}
    for line in lines:
        for name, hits in redactor.findings(line).items():
            counts[name] = counts.get(name, 0) + hits
    return "".join(redactor.redact(line) for line in lines), counts


# Pieces that make the passes meet across lines: keywords at line ends, keys on the next line,
# escapes, Japanese keywords, a private key block, sentences that end on a line break.
TRICKY = [
    "\n",
    "\n",
    " ",
    "aws",
    "AWS key\n",
    "secret",
    "API key provided: ",
    "token provided: ",
    "token (",
    ")",
    "abcdefghij/klmnopqrst/uvwxyzABCD/EFGHIJKLMN/OPQR",
    "abc12345x",
    "%3A",
    "%2F%2F",
    "%20",
    "%25",
    "\\/",
    "\\u0040",
    '\\"',
    "トークン",
    "：",
    "「",
    "」",
    "【APIキー】",
    "password=",
    '"password": "',
    '"',
    "https://",
    "user:",
    "@",
    "hooks.slack.com/services/",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "MIIEowIBAAKCAQEA\n",
    "-----END RSA PRIVATE KEY-----",
    "Bearer ",
    "Basic ",
    "CUST-123456",
    "ROOT-42",
    "ops@corp.example",
    "[REDACTED]",
    "<secret>",
    "日本語の文章。",
    "0123456789",
]
samples = st.tuples(st.sampled_from(sorted(SAMPLERS)), st.integers(0, 2**32)).map(
    lambda pair: SAMPLERS[pair[0]](random.Random(pair[1])).text
)
corpus_lines = st.sampled_from([line for _, line, _ in positives()] + list(MUST_KEEP))
piece = st.one_of(
    st.sampled_from(TRICKY),
    samples,
    corpus_lines,
    st.text(alphabet="abcxyz019 -_./:=,;", max_size=12),
)
texts = st.lists(piece, max_size=40).map("".join)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.property
@PROPERTY
@given(texts, st.sampled_from(range(len(REDACTORS))))
def test_looking_only_around_the_candidates_finds_what_whole_scans_find(text, which):
    whole, regional_ = _whole_and_regional(REDACTORS[which], text)
    assert regional_ == whole


@pytest.mark.property
@PROPERTY
@given(texts, st.sampled_from(range(len(REDACTORS))))
def test_redacting_lines_in_one_go_is_redacting_them_one_by_one(text, which):
    redactor = REDACTORS[which]
    for on in (False, True):
        with regional(on=on):
            one_by_one = _line_by_line(redactor, text)
            assert (redactor.redact_lines(text), redactor.findings_lines(text)) == one_by_one


def test_the_whole_corpus_as_one_text_is_redacted_the_same_either_way():
    lines = [line for _, line, _ in positives()] + list(MUST_KEEP)
    text = "\n".join(lines) + "\n"
    for redactor in REDACTORS:
        whole, regional_ = _whole_and_regional(redactor, text)
        assert regional_ == whole
        assert (redactor.redact_lines(text), redactor.findings_lines(text)) == _line_by_line(
            redactor, text
        )


def test_a_long_text_with_a_few_secrets_is_redacted_the_same_either_way():
    rng = random.Random(7)
    rows = [f"row {i}: mcp=github tool=search status=ok durationMs={i % 97}" for i in range(3000)]
    for index in rng.sample(range(len(rows)), 30):
        rows[index] += " " + SAMPLERS[rng.choice(sorted(SAMPLERS))](rng).text
    text = "\n".join(rows)
    whole, regional_ = _whole_and_regional(REDACTORS[0], text)
    assert regional_ == whole
    assert whole[0] != text


CLEAN = "".join(f"line {i}: status=ok durationMs={i}\n" for i in range(40))


@pytest.mark.parametrize(
    "middle",
    [
        # a sentence that ends on a line break, then the same sentence
        "API key provided: abc12345x\nAPI key provided: def67890y\n",
        # the key on the line after its keyword
        "AWS credentials\n/home/runner/work/project/config/aws/credentials/x\n",
        # a keyword right before a region's edge, its value after it
        "secret\n\n\nabcdefghij/klmnopqrst/uvwxyzABCD/EFGHIJKLMN/OPQR\n",
        "token (abc12345x)\n" * 3,
        "next=postgres%3A%2F%2Fapp%3Ahunter2x%40db%3A5432\nAPI key provided: abc12345x",
        "トークン：\nabc12345x\n【APIキー】abcd1234efgh を使用\n",
    ],
)
def test_matches_that_meet_a_line_break_are_found_the_same_either_way(middle):
    text = CLEAN + middle + CLEAN
    for redactor in REDACTORS:
        whole, regional_ = _whole_and_regional(redactor, text)
        assert regional_ == whole
        assert (redactor.redact_lines(text), redactor.findings_lines(text)) == _line_by_line(
            redactor, text
        )


def _escaped_lines_by_scan(data: bytes) -> list[tuple[int, int]]:
    lines = {
        (data.rfind(b"\n", 0, m.start()) + 1, data.find(b"\n", m.start()) % (len(data) + 1))
        for m in re.finditer(ESCAPE.pattern.encode(), data)
    }
    return sorted((start, len(data) if end == len(data) + 1 else end) for start, end in lines)


@pytest.mark.property
@PROPERTY
@given(texts)
def test_escaped_lines_are_found_by_their_first_character_as_a_scan_finds_them(text):
    data = text.encode("utf-8", "surrogatepass")
    assert escaped_lines(data) == _escaped_lines_by_scan(data)


def test_a_region_holds_the_lines_a_candidate_touches_one_line_around_and_the_break_before():
    data = b"zero\none\ntwo x\nthree\nfour\nfive\nsix"
    x = data.index(b"x")
    (region,) = regions(data, [(x, x + 1)])
    assert data[region.start : region.end] == b"\none\ntwo x\nthree\n"
    assert region.candidates == [(x, x + 1)]


def test_regions_that_meet_are_joined_and_a_region_at_the_ends_stops_there():
    data = b"a\nb\nc\nd\ne\nf\ng"
    c, g = data.index(b"c"), data.index(b"g")
    found = regions(data, [(0, 1), (c, c + 1), (g, g + 1)])
    assert [(r.start, r.end) for r in found] == [(0, data.index(b"e")), (g - 3, len(data))]
    assert [r.candidates for r in found] == [[(0, 1), (c, c + 1)], [(g, g + 1)]]


def test_a_span_touches_the_line_it_ends_at_the_start_of():
    data = b"one\ntwo\nthree\n"
    assert touched_lines(data, [(2, 4)]) == [(0, 8)]
    assert touched_lines(data, [(0, 1), (9, 10)]) == [(0, 4), (8, 14)]
    assert lines_of(data, (0, 8)) == [(0, 4), (4, 8)]
    assert merged([(5, 8), (0, 2), (2, 3)]) == [(0, 3), (5, 8)]


@pytest.mark.parametrize(
    ("pattern", "anchored"),
    [
        ("CUST-[0-9]{6}", False),
        ("[^ ]+@corp", False),
        ("a\\^b\\$c", False),
        ("(?i)internal-[a-z0-9]{12}", False),
        ("\\\\Abc", False),
        ("^ROOT-[0-9]+", True),
        ("key=[a-z]+$", True),
        ("\\Aroot", True),
        ("root\\z", True),
        ("[a]^x", True),
        ("(?m)^x", True),
    ],
)
def test_an_operator_pattern_that_can_anchor_to_the_text_is_told(pattern, anchored):
    assert redactor_module._may_anchor(pattern) is anchored


def _one_line_at_a_time(redactor, text, max_hold):
    stream = StreamRedactor(redactor, max_hold, count=True)
    out = [stream.feed(line) for line in text.splitlines(keepends=True) if line]
    return "".join(out) + stream.close(), stream.counts


@pytest.mark.property
@PROPERTY
@given(texts, st.lists(st.integers(1, 400), max_size=30))
def test_a_line_by_line_stream_fed_any_pieces_is_one_line_at_a_time(text, cuts):
    # Lines shorter than max_hold: a longer unfinished one goes out at its last space, wherever
    # the piece that made it too long ended (the redact command feeds whole lines).
    max_hold = 1 << 20
    # Lines as the redact command cuts them: at \n only (splitlines would cut at \r too).
    text = text.replace("\r", " ").replace("\x0b", " ").replace("\x0c", " ")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    redactor = REDACTORS[0]
    stream = StreamRedactor(redactor, max_hold, count=True, line_by_line=True)
    out, at = [], 0
    for cut in cuts:
        out.append(stream.feed(text[at : at + cut]))
        at += cut
    out.append(stream.feed(text[at:]))
    out.append(stream.close())
    assert ("".join(out), stream.counts) == _one_line_at_a_time(redactor, text, max_hold)
