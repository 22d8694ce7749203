"""The shape of a dashboard comment: its hidden marker and GitHub's size limit.

PURE: no I/O. The GitHub sink uses these to make posting idempotent (the marker names the job
and period, so an earlier comment for the same run can be found again) and to never have a
comment rejected for its length.
"""

from __future__ import annotations

import re

# GitHub rejects an issue comment whose body is longer than this (422 "body is too long").
# Sizes are counted in UTF-16 code units (an emoji outside the BMP counts twice): the strictest
# reading of "characters", so a comment that fits here fits however GitHub counts.
MAX_COMMENT_CHARS = 65_536

_NAME = re.compile(r"[A-Za-z0-9_.:+-]+")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def marker(job: str, period_key: str) -> str:
    """The hidden first line of every comment: ``<!-- ops-schedule:<job>:<period-key> -->``."""
    for value in (job, period_key):
        if not _NAME.fullmatch(value) or "--" in value:
            raise ValueError(f"{value!r} cannot be part of a comment marker")
    return f"<!-- ops-schedule:{job}:{period_key} -->"


def carries_marker(comment_body: str | None, mark: str) -> bool:
    """Whether a comment was posted for the run that ``mark`` names (marker on its first line)."""
    if not comment_body:
        return False
    first_line = comment_body.lstrip().split("\n", 1)[0]
    return first_line.rstrip() == mark


def same_body(posted: str | None, wanted: str) -> bool:
    """Equal up to line endings and trailing whitespace (GitHub may store CRLF)."""
    return (posted or "").replace("\r\n", "\n").rstrip() == wanted.replace("\r\n", "\n").rstrip()


def trim_note(total_chars: int, archive_hint: str) -> str:
    return (
        "\n\n---\n"
        f"> **Trimmed:** this report ({total_chars:,} characters) is longer than a GitHub "
        f"comment may be ({MAX_COMMENT_CHARS:,}). The full report is archived at "
        f"`{archive_hint}`.\n"
        f"> **省略:** レポートが GitHub コメントの上限を超えたため途中で切りました。"
        f"全文: `{archive_hint}`\n"
    )


def comment_size(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _longest_prefix(text: str, units: int) -> int:
    """The largest ``n`` such that ``text[:n]`` is at most ``units`` long."""
    if comment_size(text) <= units:
        return len(text)
    size = 0
    for index, char in enumerate(text):
        size += 2 if ord(char) > 0xFFFF else 1  # noqa: PLR2004 - beyond the BMP
        if size > units:
            return index
    return len(text)  # pragma: no cover - the size check above returned already


def compose(mark: str, body: str, archive_hint: str, limit: int = MAX_COMMENT_CHARS) -> str:
    """The comment text: marker line, then ``body``, cut to ``limit`` if needed.

    A body that does not fit is cut at the last line boundary that leaves room for a note
    pointing to the archived file; a code block left open by the cut (a Mermaid chart, say)
    is closed so the note renders as text. The result never exceeds ``limit``
    (:func:`comment_size`) and always starts with the marker.
    """
    text = f"{mark}\n{body}"
    if comment_size(text) <= limit:
        return text
    note = trim_note(len(text), archive_hint)
    room = limit - comment_size(note)
    kept = text[: _longest_prefix(text, room) + 1]  # one more: the cut may fall on a line end
    while True:
        cut = kept.rfind("\n")
        if cut <= len(mark):
            # Not even one whole line fits (one huge line, or a very long archive path): cut
            # mid-line. The marker still comes first, so the run is found again.
            cut_text = text[: max(_longest_prefix(text, room), len(mark))] + note
            return cut_text[: _longest_prefix(cut_text, limit)]
        kept = kept[:cut]
        fence = _open_fence(kept)
        closing = f"\n{fence}" if fence else ""
        if comment_size(kept) + comment_size(closing) + comment_size(note) <= limit:
            return kept + closing + note


def _open_fence(text: str) -> str | None:
    """The fence of the code block ``text`` ends inside, if any (CommonMark-style fences)."""
    open_with: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if not match:
            continue
        fence = match.group(1)
        if open_with is None:
            open_with = fence
        elif fence[0] == open_with[0] and len(fence) >= len(open_with):
            open_with = None
    return open_with
