"""The fuzz corpus, replayed: every input that once broke a reader (or seeds the fuzzer) is
handled as documented. The files live in tests/fuzz/corpus/<target>/; tests/fuzz/run.py says
how new ones are found and added."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_targets import TARGETS

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted((d.name, f.name) for d in CORPUS.iterdir() for f in d.iterdir() if f.is_file())


def test_every_target_has_a_corpus_and_every_corpus_a_target():
    assert {target for target, _ in CASES} == set(TARGETS)


@pytest.mark.parametrize(("target", "name"), CASES, ids=[f"{t}/{n}" for t, n in CASES])
def test_a_corpus_input_is_read_or_refused_as_documented(target, name):
    TARGETS[target]((CORPUS / target / name).read_bytes())  # raises on any other outcome
