"""The service standards as KPI targets (defaults from the seeds, REPORT_TARGETS to
override) and the traffic light of a value against its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.reports.values import Value
from bot.reports.vocabulary import Direction

HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER

# (metric, default target, direction), in the order the tiles show them.
STANDARDS: tuple[tuple[str, float, Direction], ...] = (
    ("answer_rate", 0.95, HIGHER),  # 95% answer rate
    ("avg_answer_seconds", 15.0, LOWER),  # 15-second average answer
    ("online_reply_rate", 0.98, HIGHER),  # 98% online replies
    ("fcr_rate", 0.85, HIGHER),  # 85% first-contact resolution
    ("exception_first_response_rate", 0.95, HIGHER),  # exceptions answered within 15 minutes
    ("resolved_within_due_rate", 0.95, HIGHER),  # handled within 24 hours
    ("handling_success_rate", 0.98, HIGHER),  # 98% handling success
    ("bot_containment", 0.80, HIGHER),  # the bot handles 80% of common questions
    ("csat_human_avg", 4.5, HIGHER),  # CSAT (1-5) after an agent's chat
    ("csat_bot_avg", 4.5, HIGHER),  # CSAT (1-5) of the bot alone
)
DIRECTIONS = {metric: direction for metric, _, direction in STANDARDS}


class TargetError(ValueError):
    pass


def parse_targets(spec: str) -> dict[str, float]:
    """The defaults overridden by "metric=value,..." (REPORT_TARGETS)."""
    targets = {metric: value for metric, value, _ in STANDARDS}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, _, raw = part.partition("=")
        name = name.strip()
        if name not in targets:
            raise TargetError(f"REPORT_TARGETS: unknown KPI {name!r} (known: {', '.join(targets)})")
        try:
            value = float(raw)
        except ValueError:
            raise TargetError(f"REPORT_TARGETS: {name} needs a number, got {raw.strip()!r}") from None
        if value < 0:
            raise TargetError(f"REPORT_TARGETS: {name} must not be negative")
        targets[name] = value
    return targets


def light(value: float | None, target: float, direction: Direction, margin: float) -> str:
    """green: meets the target; amber: misses it by at most `margin` of the target; red:
    misses it by more; none: no data."""
    if value is None:
        return "none"
    if direction == HIGHER:
        if value >= target:
            return "green"
        return "amber" if value >= target * (1 - margin) else "red"
    if value <= target:
        return "green"
    return "amber" if value <= target * (1 + margin) else "red"


@dataclass(frozen=True)
class Kpi:
    metric: str
    target: float
    direction: Direction
    value: Value
    status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "target": self.target,
            "direction": self.direction.value,
            "status": self.status,
            **self.value.as_dict(),
        }


def kpis(values: dict[str, Value], targets: dict[str, float], margin: float) -> list[Kpi]:
    return [
        Kpi(
            metric,
            targets[metric],
            direction,
            values[metric],
            light(values[metric].value, targets[metric], direction, margin),
        )
        for metric, _, direction in STANDARDS
        if metric in values
    ]
