"""Files on disk: atomic writes, and reads that a hostile path cannot hang or exhaust.

Writes: a reader sees the old file or the new one, never a torn one. Reads: only regular files
are read (a FIFO would block forever, ``/dev/zero`` never ends), and whole-file reads stop at a
size cap (docs/design.md#files-the-program-reads).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

STALE_TEMP_SECONDS = 60  # a temp file this old belongs to a write that was killed
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFileError(OSError):
    """A path that must be a regular file is something else; reading it could block or not end."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", str(path))

    def __str__(self) -> str:
        return str(self.strerror)


class FileTooLargeError(OSError):
    """A file read whole is larger than the cap for its kind."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"larger than {describe_size(limit)}", str(path))

    def __str__(self) -> str:
        return str(self.strerror)


def describe_size(size: int) -> str:
    """``1 MiB``, ``64 KiB``, ``512 bytes``."""
    for shift, unit in ((20, "MiB"), (10, "KiB")):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


def open_regular(path: Path) -> int:
    """Open ``path`` for reading; ``NotRegularFileError`` unless it is a regular file.

    ``O_NONBLOCK`` keeps the open of a FIFO from waiting for a writer, and the check is made on
    the opened descriptor, so the file cannot be swapped for another between check and read.
    The caller closes the descriptor.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(mode)), "an unknown kind of file")
        raise NotRegularFileError(path, kind)
    return fd


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``; ``FileTooLargeError`` past ``limit`` bytes."""
    with os.fdopen(open_regular(path), "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(path, limit)
    return data


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same directory, fsync, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    # The name must match temp_pattern(path.name), by which leftovers are found.
    try:
        # mkstemp creates 0600; the state and the archive are meant to be readable like any
        # file the operator writes (dashboards, backups, a reader running as another user).
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp_name).unlink()
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_pattern(name: str) -> str:
    """The glob pattern of the temp files :func:`atomic_write_bytes` makes for ``name``."""
    return f".{name}.*.tmp"


def remove_stale_temp_files(directory: Path, patterns: Iterable[str]) -> None:
    """Remove the temp files of writes killed before their rename: those in ``directory``
    matching one of ``patterns`` and older than ``STALE_TEMP_SECONDS``.

    The caller makes sure no write of these files is in flight (a lock or a claim); the age is
    a second guard. File times are the filesystem's, so they are compared with the real clock.
    """
    cutoff = time.time() - STALE_TEMP_SECONDS
    for pattern in patterns:
        for leftover in directory.glob(pattern):
            with contextlib.suppress(OSError):
                if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    log.info("removed %s, left by a write that was interrupted", leftover.name)
