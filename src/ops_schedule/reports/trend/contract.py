"""A trend in a report's JSON (docs/trends.md): the same numbers the Markdown shows."""

from __future__ import annotations

from typing import Any

from ops_schedule.reports.trend.model import Series, Trend


def _value(value: float | None, series: Series) -> float | int | None:
    if value is None:
        return None
    return round(value) if series.measure == "count" and value == round(value) else value


def trend_json(trend: Trend) -> dict[str, Any]:
    return {
        "periods": [{"period": p.key, "status": p.status} for p in trend.periods],
        "sections": [
            {
                "key": section.key,
                "rows": [
                    {
                        "key": row.key,
                        "values": [_value(v, row) for v in row.values],
                        "baseline": row.baseline,
                        "direction": row.direction,
                        "better": row.polarity,
                    }
                    for row in section.rows
                ],
                "hidden": section.hidden,
            }
            for section in trend.sections
        ],
        "notes": list(trend.notes),
    }
