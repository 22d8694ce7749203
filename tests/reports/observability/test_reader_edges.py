"""The reader at its edges: ties, disorder inside compressed segments, rotation mid-read."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from event_fixtures import DAY, HOUR, T0, event, write_lines
from reference_stats import reference_stats

from ops_schedule.reports.observability.reader import collect_stats, entry
from ops_schedule.reports.observability.reader.seek import MARGIN

WINDOWS = [(T0 - DAY, T0), (T0, T0 + DAY)]


def read(path: Path):
    return collect_stats(path, WINDOWS, bucket=HOUR)


def circuit(at, state, mcp="github"):
    return event(at, "ok", metadata={"circuit": state, "mcp": mcp})


def failure(at, message):
    return event(at, "fail", mcpName="github", errorType="TimeoutError", errorMessage=message)


def padding(count: int) -> list[bytes]:
    """Lines between the two that tie, so that seeks and worker cuts fall between them."""
    return [event(T0 + 2 * HOUR + timedelta(seconds=i)) for i in range(count)]


@pytest.fixture(params=["whole", "cut"])
def tie_log(request, tmp_path):
    """Writes two lines at the same instant with lines between them, read whole or in pieces."""
    if request.param == "cut":
        request.getfixturevalue("small_pieces")

    def write(first: bytes, second: bytes) -> Path:
        return write_lines(tmp_path / "events.jsonl", [first, *padding(80), second])

    return write


TIE = T0 + HOUR


def test_of_two_failures_at_the_same_instant_the_first_in_the_log_is_the_example(tie_log):
    _, current = read(tie_log(failure(TIE, "first in the log"), failure(TIE, "second in the log")))
    example = current.failures["TimeoutError"]
    assert (example.count, example.example) == (2, "first in the log")


def test_of_two_circuit_transitions_at_the_same_instant_the_later_in_the_log_wins(tie_log):
    _, current = read(tie_log(circuit(TIE, "open"), circuit(TIE, "half-open")))
    assert current.circuit["github"].state == "half-open"
    assert current.mcp["github"].circuit_open_count == 1


def test_lines_out_of_order_within_the_margin_are_counted_in_a_compressed_segment(
    tmp_path, small_pieces
):
    # Blocks of the rotated .gz end with lines just inside the margin before the window, and
    # window lines follow lines stamped before it: none of them may be skipped as "earlier".
    early = T0 - DAY - MARGIN + timedelta(minutes=1)
    lines = [event(T0 - 3 * DAY + timedelta(seconds=i)) for i in range(120)]
    lines += [event(early + timedelta(seconds=i % 7)) for i in range(60)]
    lines += [event(T0 - DAY + timedelta(seconds=i), "fail" if i % 3 else "ok") for i in range(60)]
    lines += [event(early), event(T0 - DAY + timedelta(seconds=5), "fail")]
    lines += [event(T0 + DAY - timedelta(seconds=i)) for i in range(30)]
    lines += [event(T0 + DAY + MARGIN - timedelta(minutes=1))]  # after the end, within the margin
    lines += [event(T0 + DAY - timedelta(seconds=1))]  # so this late one is still read
    write_lines(tmp_path / "events.jsonl.1.gz", lines)
    log = write_lines(tmp_path / "events.jsonl", [event(T0 + DAY + HOUR)])

    ours = read(log)
    reference = reference_stats(log, WINDOWS, bucket=HOUR)
    assert [(s.events, s.ok, s.fail) for s in ours] == [(r.events, r.ok, r.fail) for r in reference]
    assert ours[0].events == 61  # every line of the previous window, the straggler included
    assert ours[1].events == 30  # 29 before the end (the end itself is outside) and the late one


def test_a_log_renamed_by_rotation_while_it_is_read_is_still_read_whole(tmp_path, monkeypatch):
    live = tmp_path / "events.jsonl"
    write_lines(live, [event(T0 + HOUR + timedelta(seconds=i)) for i in range(50)])
    listed = entry.open_segments

    @contextlib.contextmanager
    def rotate_after_listing(path):
        with listed(path) as segments:
            live.rename(tmp_path / "events.jsonl.1")  # logrotate runs right now
            write_lines(live, [event(T0 + 3 * HOUR)])  # and the proxy starts a new file
            yield segments

    monkeypatch.setattr(entry, "open_segments", rotate_after_listing)
    _, current = read(live)
    assert current.events == 50  # what was listed, found again under its new name
