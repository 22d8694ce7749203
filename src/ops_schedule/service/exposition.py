"""Metric families as Prometheus' text exposition format (version 0.0.4).

PURE, and free of prometheus_client on purpose: ``run`` writes the textfile every minute from
cron, and importing the client library would cost more than the rest of a run with nothing due.
The loop serves the same families through prometheus_client (``service/prometheus.py``); a test
keeps the two texts equal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ops_schedule.service.metric_families import Family

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(families: Iterable[Family]) -> str:
    """The text of ``families``: HELP and TYPE lines, then one line per sample."""
    lines: list[str] = []
    for family in families:
        name = family.sample_name
        lines.append(f"# HELP {name} {_help(family.help)}")
        lines.append(f"# TYPE {name} {family.kind}")
        for labels, value in family.samples:
            inner = ",".join(f'{key}="{_label(val)}"' for key, val in labels)
            lines.append(
                f"{name}{{{inner}}} {_value(value)}" if labels else f"{name} {_value(value)}"
            )
    return "\n".join(lines) + "\n"
