"""Better, worse or flat: the direction of one number across a trend (docs/trends.md).

The last value (this period) is compared with the *baseline*: the median of the earlier values
the trend has (gaps left out). A change within the tolerance of its kind of number is flat:

* a rate (a fraction): half a percentage point;
* a count (events, failures, incidents): 10 % of the baseline, and never less than 1;
* an amount (milliseconds, minutes): 10 % of the baseline.

Whether up is better depends on the number: a success rate is better higher, failures, latency,
incidents and time to resolve lower; volume is neither, so it only goes up or down.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Literal

Direction = Literal["better", "worse", "flat", "up", "down", "none"]
Polarity = Literal["higher", "lower", "neutral"]  # which way is better
Measure = Literal["rate", "count", "amount"]

RATE_TOLERANCE = 0.005  # half a percentage point
RELATIVE_TOLERANCE = 0.10
COUNT_TOLERANCE_FLOOR = 1.0
# 0.970 − 0.965 is 0.0050000000000000044 in binary floating point: a change exactly at the
# tolerance must read as flat.
_EPSILON = 1e-9


def baseline(earlier: Sequence[float | None]) -> float | None:
    """The median of the earlier values that exist; ``None`` when there are none."""
    present = [value for value in earlier if value is not None]
    return statistics.median(present) if present else None


def _tolerance(base: float, measure: Measure) -> float:
    if measure == "rate":
        return RATE_TOLERANCE
    relative = RELATIVE_TOLERANCE * abs(base)
    return max(COUNT_TOLERANCE_FLOOR, relative) if measure == "count" else relative


def direction(
    current: float | None, base: float | None, polarity: Polarity, measure: Measure
) -> Direction:
    """The direction of ``current`` against ``base``; ``none`` when either is missing."""
    if current is None or base is None:
        return "none"
    change = current - base
    if abs(change) <= _tolerance(base, measure) + _EPSILON:
        return "flat"
    if polarity == "neutral":
        return "up" if change > 0 else "down"
    return "better" if (change > 0) == (polarity == "higher") else "worse"
