"""The files behind `sources.events` misbehaving: not a file, deleted, damaged or truncated while
the report reads them. The report either fails with one line or reads what can be read and says
what it could not."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import pytest
from event_fixtures import DAY, HOUR, T0, event, write_lines
from reference_stats import reference_stats

from ops_schedule.reports.observability.reader import collect_stats

WINDOWS = [(T0 - DAY, T0), (T0, T0 + DAY)]


def collect(path: Path):
    return collect_stats(path, WINDOWS, bucket=HOUR)


def events(count: int, start=T0 + HOUR) -> list[bytes]:
    return [event(start, mcpName=f"mcp-{i % 7}", durationMs=i, note="x" * 40) for i in range(count)]


# --------------------------------------------------------------------------- not a log at all


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling symlink", "device"])
def test_something_other_than_a_file_at_the_log_path_fails_the_report_with_one_line(tmp_path, kind):
    path = tmp_path / "events.jsonl"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dangling symlink":
        path.symlink_to(tmp_path / "gone.jsonl")
    else:
        path.symlink_to("/dev/zero")
    described = {
        "directory": "a directory",
        "fifo": "a FIFO",
        "dangling symlink": "a symbolic link to a missing file",
        "device": "a character device",
    }[kind]
    with pytest.raises(OSError) as caught:
        collect(path)
    assert str(caught.value) == f"not a regular file ({described})"


def test_a_missing_log_is_still_a_note_not_a_failure(tmp_path):
    _, current = collect(tmp_path / "events.jsonl")
    assert current.notes == [f"event log not found at {tmp_path / 'events.jsonl'}"]


def test_a_rotated_sibling_that_is_not_a_file_is_passed_over(tmp_path):
    os.mkfifo(tmp_path / "events.jsonl.2")
    (tmp_path / "events.jsonl.3").mkdir()
    write_lines(tmp_path / "events.jsonl.1", [event(T0 + HOUR)])
    log = write_lines(tmp_path / "events.jsonl", [event(T0 + HOUR)])
    _, current = collect(log)
    assert (current.events, current.notes) == (2, [])


# --------------------------------------------------------------------------- deleted mid-read


def _after_planning(monkeypatch, action):
    """Run ``action`` once the segments are listed and the work is planned, before any read."""
    from ops_schedule.reports.observability.reader import collect

    planned = collect.plan_tasks

    def plan_then_act(*args, **kwargs):
        tasks = planned(*args, **kwargs)
        action()
        return tasks

    monkeypatch.setattr(collect, "plan_tasks", plan_then_act)


@pytest.mark.parametrize("workers", [True, False], ids=["workers", "inline"])
def test_segments_deleted_after_listing_are_still_read_whole(
    tmp_path, monkeypatch, request, workers
):
    if workers:
        request.getfixturevalue("small_pieces")
    write_lines(tmp_path / "events.jsonl.2.gz", events(300, T0 - 2 * HOUR))
    write_lines(tmp_path / "events.jsonl.1", events(300, T0 + HOUR))
    log = write_lines(tmp_path / "events.jsonl", events(300, T0 + 2 * HOUR))
    expected = reference_stats(log, WINDOWS, bucket=HOUR)

    def rotate_away():
        (tmp_path / "events.jsonl.2.gz").unlink()
        (tmp_path / "events.jsonl.1").unlink()
        (tmp_path / "events.jsonl").rename(tmp_path / "events.jsonl.1")

    _after_planning(monkeypatch, rotate_away)
    assert collect(log) == expected
    assert (expected[0].events, expected[1].events) == (300, 600)


# --------------------------------------------------------------------------- damaged .gz


def _readable_prefix(data: bytes) -> bytes:
    """What a streaming decompressor gets out of damaged gzip data before it fails."""
    inflate = zlib.decompressobj(31)
    out = []
    for start in range(0, len(data), 1024):
        try:
            out.append(inflate.decompress(data[start : start + 1024]))
        except zlib.error:
            break
    return b"".join(out)


def test_a_gz_segment_cut_short_keeps_every_line_before_the_cut(tmp_path):
    whole = gzip.compress(b"\n".join(events(2000)) + b"\n")
    cut = whole[: len(whole) * 2 // 3]
    (tmp_path / "events.jsonl.1.gz").write_bytes(cut)
    log = write_lines(tmp_path / "events.jsonl", [event(T0 + 3 * HOUR)])
    readable = _readable_prefix(cut)
    complete, partial = readable.count(b"\n"), not readable.endswith(b"\n")
    assert complete > 1000
    _, current = collect(log)
    assert (current.events, current.malformed) == (complete + 1, int(partial))
    assert current.notes == [
        (
            "could not read all of events.jsonl.1.gz: it ends before its compressed data does "
            "(cut short, or still being written)"
        )
    ]


def test_a_gz_segment_with_a_damaged_block_keeps_every_line_before_it(tmp_path):
    before, after = events(3000), events(3000, T0 + 2 * HOUR)
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = compressor.compress(b"\n".join(before) + b"\n") + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(b"\n".join(after) + b"\n") + compressor.flush()
    # The block after the flush starts on a byte: 0xff there is a block of the reserved type.
    (tmp_path / "events.jsonl.1.gz").write_bytes(head + b"\xff" + tail[1:])
    log = write_lines(tmp_path / "events.jsonl", [event(T0 + 3 * HOUR)])
    _, current = collect(log)
    assert (current.events, current.malformed) == (3001, 0)
    assert current.notes == [
        (
            "could not read all of events.jsonl.1.gz: its compressed data is damaged "
            "(Error -3 while decompressing data: invalid block type)"
        )
    ]


def test_a_gz_segment_with_garbage_after_its_last_member_is_read_whole(tmp_path):
    data = gzip.compress(b"\n".join(events(500)) + b"\n") + b"this is not gzip\n" * 10
    (tmp_path / "events.jsonl.1.gz").write_bytes(data)
    log = write_lines(tmp_path / "events.jsonl", [event(T0 + 3 * HOUR)])
    _, current = collect(log)
    assert (current.events, current.malformed) == (501, 0)
    assert current.notes == [
        "could not read all of events.jsonl.1.gz: data after its last compressed member was ignored"
    ]


def test_a_gz_segment_of_several_members_and_zero_padding_is_read_whole(tmp_path):
    first = gzip.compress(b"\n".join(events(200)) + b"\n")
    second = gzip.compress(b"\n".join(events(300, T0 + 2 * HOUR)) + b"\n")
    (tmp_path / "events.jsonl.1.gz").write_bytes(first + second + bytes(4096))
    log = write_lines(tmp_path / "events.jsonl", [])
    _, current = collect(log)
    assert (current.events, current.malformed, current.notes) == (500, 0, [])


# --------------------------------------------------------------------------- copytruncate


@pytest.mark.parametrize("workers", [True, False], ids=["workers", "inline"])
def test_a_log_truncated_in_place_while_read_is_noted_not_silently_undercounted(
    tmp_path, monkeypatch, request, workers
):
    if workers:
        request.getfixturevalue("small_pieces")
    log = write_lines(tmp_path / "events.jsonl", events(500))

    def copytruncate():
        (tmp_path / "events.jsonl.1").write_bytes(log.read_bytes())
        os.truncate(log, 0)

    _after_planning(monkeypatch, copytruncate)
    _, current = collect(log)
    assert current.events < 500
    assert current.notes == [
        (
            "events.jsonl shrank while it was being read (truncated in place, as by logrotate's "
            "copytruncate): events may be missing; run the report again with `report --at`"
        )
    ]


def test_a_worker_without_the_listed_descriptor_finds_the_segment_by_its_inode(tmp_path):
    from ops_schedule.reports.observability.reader.segments import open_segments
    from ops_schedule.reports.observability.reader.tasks import Task, task_descriptor

    log = write_lines(tmp_path / "events.jsonl", [event(T0 + HOUR)])
    with open_segments(log) as [segment]:
        inode, size = segment.inode, segment.size
    log.rename(tmp_path / "events.jsonl.1")  # rotated since the listing
    other = os.open(tmp_path, os.O_RDONLY)  # a descriptor number that names another file
    try:
        fd = task_descriptor(Task(log, inode, other, "fold", 0, size))
        try:
            assert os.pread(fd, size, 0) == event(T0 + HOUR) + b"\n"
        finally:
            os.close(fd)
    finally:
        os.close(other)
