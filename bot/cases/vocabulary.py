"""The rules of the case domain over its words: allowed status transitions, claim stage
moves, evidence checklists, priority raises. The words themselves (case types, statuses,
claim stages, remedies, timeline event kinds, evidence items, with their zh/en labels)
are defined once, in bot/contract.py."""

from __future__ import annotations

from bot.contract import (
    CaseStatus,
    CaseType,
    ClaimStage,
    EvidenceItem,
    Priority,
)

CLAIM_TYPES = frozenset({CaseType.DAMAGE_CLAIM, CaseType.LOSS_CLAIM, CaseType.NOT_RECEIVED})
# Types whose case collects evidence from the customer (upload link, WeChat images).
EVIDENCE_TYPES = frozenset(
    {CaseType.DAMAGE_CLAIM, CaseType.LOSS_CLAIM, CaseType.NOT_RECEIVED, CaseType.CUSTOMS_DOCUMENTS, CaseType.TICKET}
)
# The evidence a damage claim needs (the seeds' full list), in the order it is asked for.
DAMAGE_CHECKLIST = (
    EvidenceItem.OUTER_PACKAGING,
    EvidenceItem.CONTENTS,
    EvidenceItem.UNBOXING_VIDEO,
    EvidenceItem.PROOF_OF_PURCHASE,
)
CHECKLISTS: dict[CaseType, tuple[EvidenceItem, ...]] = {
    CaseType.DAMAGE_CLAIM: DAMAGE_CHECKLIST,
    CaseType.LOSS_CLAIM: (EvidenceItem.PROOF_OF_PURCHASE,),
    CaseType.NOT_RECEIVED: (EvidenceItem.PROOF_OF_PURCHASE,),
    CaseType.CUSTOMS_DOCUMENTS: (EvidenceItem.CUSTOMS_DOCUMENT,),
}

OPEN_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CUSTOMER})
DONE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
# Statuses whose due time counts (waiting for the customer pauses the promise).
SLA_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS})

# open → in_progress → waiting_customer → resolved → closed, with the ways back a real desk needs:
# a customer's answer resumes the work, a resolved or closed case can be reopened.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.WAITING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.WAITING_CUSTOMER: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}
STAGE_ORDER: tuple[ClaimStage, ...] = tuple(ClaimStage)


def can_transition(current: str, target: str) -> bool:
    try:
        return CaseStatus(target) in TRANSITIONS[CaseStatus(current)]
    except ValueError:
        return False


def can_move_stage(current: str | None, target: str) -> bool:
    """A claim moves one stage forward at a time, or back to any earlier stage (rework)."""
    try:
        wanted = STAGE_ORDER.index(ClaimStage(target))
    except ValueError:
        return False
    if current is None:
        return wanted == 0
    try:
        now = STAGE_ORDER.index(ClaimStage(current))
    except ValueError:
        return True
    return wanted == now + 1 or wanted < now


def raised(priority: str) -> str:
    """One priority level up (urgent stays urgent)."""
    try:
        current = Priority(priority)
    except ValueError:
        return Priority.HIGH.value
    return list(Priority)[max(current.rank - 1, 0)].value
