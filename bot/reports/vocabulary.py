"""The reports' words, taken from bot/contract.py (where their labels live and from which
GET /api/labels serves them): groupings, metric keys, KPI statuses, exception types; and
the few choices of the reports themselves (units, directions, which categories are parcel
exceptions, which exceptions are delays)."""

from __future__ import annotations

from enum import Enum

from bot.contract import (
    EXCEPTION_CATEGORY,
    ClaimStage,
    ExceptionType,
    HandoffCategory,
    HandoffReason,
    HotspotDimension,
    KpiStatus,
    ReportMetric,
)
from bot.contract import ReportGrouping as GroupBy

__all__ = [
    "COMPLAINT_REASON",
    "CSAT_SCORES",
    "DELAY_EXCEPTION_TYPES",
    "EXCEPTION_CATEGORIES",
    "EXCEPTION_CATEGORY",
    "GENERAL_CATEGORY",
    "HANDOFF_REASONS",
    "NO_EXCEPTION",
    "NO_STAGE",
    "ClaimStage",
    "Direction",
    "GroupBy",
    "HotspotDimension",
    "KpiStatus",
    "ReportMetric",
    "Unit",
]


class Unit(str, Enum):
    RATIO = "ratio"  # 0..1
    SECONDS = "seconds"
    COUNT = "count"
    SCORE = "score"  # CSAT, 1..5


class Direction(str, Enum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


# Exceptions that count as a delay for the hot spots.
DELAY_EXCEPTION_TYPES = (ExceptionType.DELAY.value, ExceptionType.HELD_AT_STATION.value)
# Categories that are parcel exceptions (the standard: first response within 15 minutes).
EXCEPTION_CATEGORIES = tuple(
    category.value for category in HandoffCategory if category in set(EXCEPTION_CATEGORY.values())
)
# The category of a conversation that is neither handed off nor about a parcel exception.
GENERAL_CATEGORY = HandoffCategory.CONSULTATION.value
# The handoff reason of a complaint, and the cause of a complaint about no recorded exception.
COMPLAINT_REASON = HandoffReason.COMPLAINT.value
NO_EXCEPTION = ExceptionType.NONE.value
# Why the bot hands a conversation to a human, in the contract's order.
HANDOFF_REASONS = HandoffReason.values()
CSAT_SCORES = ("1", "2", "3", "4", "5")
NO_STAGE = "none"  # a claim not yet registered in the claims flow
