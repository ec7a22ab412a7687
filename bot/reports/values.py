"""What a metric returns: a value with the numerator and denominator it comes from, for
the whole period and for each group."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.reports.vocabulary import Unit


@dataclass(frozen=True)
class Value:
    """`value` = numerator / denominator for rates and averages; for counts the numerator
    is the count and the denominator what it is counted among (None if nothing);
    for percentiles, the numerator is how many samples are at or below the value."""

    value: float | None
    numerator: float | None
    denominator: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": _clean(self.value),
            "numerator": _clean(self.numerator),
            "denominator": _clean(self.denominator),
        }


def _clean(number: float | None) -> float | None:
    if number is None:
        return None
    number = float(number)
    if number.is_integer():
        return int(number)
    return round(number, 6)


def ratio(numerator: float, denominator: float) -> Value:
    return Value(numerator / denominator if denominator else None, numerator, denominator)


def count(n: float, among: float | None = None) -> Value:
    return Value(n, n, among)


def percentile(samples: Sequence[float], q: float) -> Value:
    """Nearest-rank percentile: the smallest sample with at least q·n samples at or below it."""
    ordered = sorted(samples)
    if not ordered:
        return Value(None, 0, 0)
    rank = max(1, math.ceil(q * len(ordered)))
    value = ordered[rank - 1]
    at_or_below = sum(1 for sample in ordered if sample <= value)
    return Value(value, at_or_below, len(ordered))


@dataclass
class Metric:
    key: str
    unit: Unit
    total: Value
    groups: dict[str, Value] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit.value,
            "total": self.total.as_dict(),
            "groups": {label: value.as_dict() for label, value in self.groups.items()},
        }


@dataclass
class Breakdown:
    """Counts by item (a reason, a score, a cause): each item's value is its share, its
    numerator the count, its denominator the total counted."""

    key: str
    total: dict[str, Value]
    groups: dict[str, dict[str, Value]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def items(values: dict[str, Value]) -> list[dict[str, Any]]:
            return [{"key": key, **value.as_dict()} for key, value in values.items()]

        return {
            "unit": Unit.RATIO.value,
            "total": items(self.total),
            "groups": {label: items(values) for label, values in self.groups.items()},
        }


def shares(counts: dict[str, float], order: Sequence[str] | None = None) -> dict[str, Value]:
    """Counts by item -> shares, in `order` (every item listed, zeros included) or by count."""
    total = sum(counts.values())
    keys = list(order) if order is not None else sorted(counts, key=lambda k: (-counts[k], k))
    return {key: ratio(counts.get(key, 0), total) for key in keys}
