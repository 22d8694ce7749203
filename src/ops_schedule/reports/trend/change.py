"""How much a number changed since last week, as a reader reads it: ``4 → 1, ↓75 %``."""

from __future__ import annotations


def relative_change(before: float, now: float) -> float | None:
    """``(now − before) / before``; ``None`` when there was nothing before."""
    return None if before == 0 else (now - before) / before


def change_mark(before: float, now: float) -> str:
    """``↓75 %``, ``↑50 %``, ``±0 %``; ``new`` when there was nothing before."""
    ratio = relative_change(before, now)
    if ratio is None:
        return "±0 %" if now == 0 else "new"
    percent = round(abs(ratio) * 100)
    if percent == 0:
        return "±0 %"
    return f"{'↑' if ratio > 0 else '↓'}{percent} %"
