"""Partials: they round-trip exactly through the cache's encoding, and no stored blob, however
damaged, raises anything but ``PartialDecodeError``."""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import timedelta

import orjson
import pytest
from event_fixtures import HOUR, T0
from hypothesis import given, settings
from hypothesis import strategies as st

from ops_schedule.reports.observability.reader.partial import (
    Partial,
    PartialDecodeError,
    decode,
    encode,
    merged,
)
from ops_schedule.reports.observability.stats import CircuitTransition, FailureStats, McpStats


def sample(start=T0) -> Partial:
    return Partial(
        start,
        start + HOUR,
        events=5,
        fail=2,
        malformed=1,
        bucket_events={1_700_000_000_000_000: 5},
        bucket_fails={1_700_000_000_000_000: 2},
        mcp={"github": McpStats(4, 1, Counter({12: 2, 12.5: 1}), 1)},
        failures={"TimeoutError": FailureStats(2, "boom", start + timedelta(seconds=3))},
        circuit={"github": CircuitTransition(start + timedelta(minutes=5), "open")},
        grid=(600_000_000, 3_600_000_000),
    )


def test_a_partial_round_trips_exactly():
    part = sample()
    assert decode(encode(part)) == part
    assert type(next(iter(decode(encode(part)).mcp["github"].durations))) is int


def test_merging_adjacent_partials_adds_them_up_and_keeps_the_earliest_example():
    first, second = sample(), sample(T0 + HOUR)
    total = merged([first, second])
    assert (total.start, total.end, total.events, total.fail) == (T0, T0 + 2 * HOUR, 10, 4)
    assert total.mcp["github"].durations == Counter({12: 4, 12.5: 2})
    assert total.failures["TimeoutError"].example_at == T0 + timedelta(seconds=3)
    assert total.circuit["github"].at == T0 + HOUR + timedelta(minutes=5)
    assert total.grid == first.grid


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=_JSON)
def test_any_json_under_a_valid_checksum_is_refused_cleanly(document):
    blob = zlib.compress(orjson.dumps(document))
    try:
        part = decode(blob)
    except PartialDecodeError:
        return
    assert isinstance(part, Partial)


@settings(max_examples=300, deadline=None)
@given(position=st.integers(0, 10_000), value=st.integers(0, 255))
def test_a_damaged_blob_is_refused_cleanly(position, value):
    blob = bytearray(encode(sample()))
    blob[position % len(blob)] ^= value or 1
    with pytest.raises(PartialDecodeError):
        decode(bytes(blob))


@pytest.mark.parametrize("key", ["e", "b", "p", "x", "c", "g"])
def test_a_field_of_the_wrong_type_is_refused(key):
    document = orjson.loads(zlib.decompress(encode(sample())))
    document[key] = "x"
    with pytest.raises(PartialDecodeError):
        decode(zlib.compress(orjson.dumps(document)))


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


_VALID = orjson.loads(zlib.decompress(encode(sample())))
_PATHS = [path for path in _paths(_VALID) if path]


@settings(max_examples=500, deadline=None)
@given(path=st.sampled_from(_PATHS), value=_JSON)
def test_any_value_anywhere_in_a_stored_partial_is_read_or_refused_cleanly(path, value):
    document = orjson.loads(orjson.dumps(_VALID))
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    try:
        part = decode(zlib.compress(orjson.dumps(document)))
    except PartialDecodeError:
        return
    encode(part)  # whatever was accepted can be stored again
