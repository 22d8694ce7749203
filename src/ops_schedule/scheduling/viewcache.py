"""The schedule of the last configuration that validated, kept for the next ``run``.

Validating the configuration means importing pydantic, which costs more than the rest of a
quiet ``run`` together (docs/performance.md, "Redaction and start-up"). So after a full
validation ``run`` keeps the :class:`~ops_schedule.scheduling.view.Schedule` it needs in
``<stateDir>/config-cache.json``, under a key that covers everything the validation depended
on: the file's bytes, the environment variables that override it, and the program that
validated it (its version, and the size and time of the files of the validator and of the
libraries it uses). The next ``run`` reads the file, and uses the schedule only when the key
is the same: a changed file, variable or program is validated again, so the cache never
hides a configuration error. A missing, unreadable, damaged or foreign cache is ignored and
rewritten; the file is written atomically and holds a digest of its content.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops_schedule import __version__
from ops_schedule.configfile import DEFAULT_STATE_DIR, ENV_OVERRIDES, config_path
from ops_schedule.fsutil import (
    atomic_write_text,
    read_capped,
    remove_stale_temp_files,
    temp_pattern,
)
from ops_schedule.scheduling.view import Schedule

CACHE_FILE = "config-cache.json"
_FORMAT = 1
# A configuration file is a few kilobytes; anything much larger takes the full path.
_MAX_CONFIG_BYTES = 1 << 20
_MAX_CACHE_BYTES = 1 << 20  # a kept schedule is a few kilobytes; a larger file is not ours


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A configuration file's bytes, and which file they were (device, inode, size, time)."""

    path: Path
    data: bytes
    identity: tuple[int, int, int, int]


def read_config_file(path: Path) -> ConfigFile | None:
    """The file at ``path`` when it is a regular file of at most 1 MiB, read without waiting
    (a FIFO is not opened for a writer); None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_CONFIG_BYTES:
            return None
        chunks = []
        while chunk := os.read(fd, _MAX_CONFIG_BYTES + 1):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    return ConfigFile(path, b"".join(chunks), identity)


def cached_schedule(path: Path | None, environ: Mapping[str, str]) -> Schedule | None:
    """The schedule kept for the configuration file a command reads (``--config`` ``path``,
    else ``$OPS_SCHEDULE_CONFIG``, else the default) as it is now, or None."""
    config = read_config_file(config_path(path, environ))
    where = _cache_path(config) if config is not None else None
    if config is None or where is None:
        return None
    try:
        kept = json.loads(read_capped(where, _MAX_CACHE_BYTES))  # a FIFO must not hang a run
        if not isinstance(kept, dict) or kept.get("format") != _FORMAT:
            return None
        if kept.get("key") != cache_key(config, environ):
            return None
        if kept.get("digest") != _digest(kept.get("schedule")):
            return None
        schedule = Schedule.from_json(kept["schedule"])
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None
    return schedule if schedule.state_dir == where.parent else None


def remember_schedule(config: ConfigFile, environ: Mapping[str, str], schedule: Schedule) -> None:
    """Keep ``schedule``, which a full validation of ``config`` gave, for the next run: if the
    file is still the same and the state directory exists (a cache never creates it)."""
    where = schedule.state_dir / CACHE_FILE
    if read_config_file(config.path) != config or _cache_path(config) != where:
        return  # changed while it was validated: the next run validates it again
    content = schedule.to_json()
    kept = {
        "format": _FORMAT,
        "key": cache_key(config, environ),
        "schedule": content,
        "digest": _digest(content),
    }
    text = json.dumps(kept, indent=1) + "\n"  # ASCII: a lone surrogate cannot break the write
    try:
        if not where.parent.is_dir() or _read_text(where) == text:
            return
        remove_stale_temp_files(where.parent, [temp_pattern(CACHE_FILE)])
        atomic_write_text(where, text)
    except OSError:
        pass  # only a cache: the next run validates the file again


def cache_key(config: ConfigFile, environ: Mapping[str, str]) -> str:
    """What the validation of ``config`` depended on, as one digest."""
    key = hashlib.sha256(_program())
    for name in ENV_OVERRIDES:
        key.update(json.dumps([name, environ.get(name)]).encode())
    key.update(b"\0")
    key.update(config.data)
    return key.hexdigest()


@functools.cache
def _program() -> bytes:
    """This program as far as validation goes: its version, and the size and time of the files
    of its validator and of the libraries that check values (a new install changes them)."""
    package = Path(__file__).resolve().parent.parent
    files = [package / "configfile.py", package / "scheduling" / "view.py"]
    for part in ("config", "redaction"):
        files += sorted((package / part).glob("*.py"))
    for library in ("pydantic", "pydantic_core", "re2"):
        spec = importlib.util.find_spec(library)
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    lines = [f"ops-schedule {__version__}"]
    for file in files:
        try:
            info = file.stat()
        except OSError:
            lines.append(f"{file} -")
        else:
            lines.append(f"{file} {info.st_size} {info.st_mtime_ns}")
    return "\n".join(lines).encode()


def _cache_path(config: ConfigFile) -> Path | None:
    """Where the cache of ``config`` is: its ``stateDir`` as the file writes it. Only a file
    whose key matches is trusted, and those bytes validated, so this is the validated value."""
    try:
        raw = json.loads(config.data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    state_dir = raw.get("stateDir", str(DEFAULT_STATE_DIR)) if isinstance(raw, dict) else None
    if not isinstance(state_dir, str) or not state_dir.strip():
        return None
    return Path(state_dir) / CACHE_FILE


def _digest(content: Any) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _read_text(path: Path) -> str | None:
    try:
        return read_capped(path, _MAX_CACHE_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
