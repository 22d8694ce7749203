"""Atomic file writes: a reader sees the old file or the new one, never a torn one."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

STALE_TEMP_SECONDS = 60  # a temp file this old belongs to a write that was killed


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
