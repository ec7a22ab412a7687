"""Agent workload (for supervisors): per agent, the chats and cases they finished in the
period, how long a chat took them, and how their customers rated them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cases.models import Case
from bot.contract import HandoffStatus
from bot.gateway.models import Agent, CsatAnswer, Handoff
from bot.reports.scope import Scope
from bot.reports.sql import seconds_between
from bot.reports.values import Value, count, ratio


@dataclass
class AgentLoad:
    agent_id: int
    name: str
    chats_handled: Value
    avg_handle_seconds: Value
    csat_avg: Value
    cases_resolved: Value

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "chats_handled": self.chats_handled.as_dict(),
            "avg_handle_seconds": self.avg_handle_seconds.as_dict(),
            "csat_avg": self.csat_avg.as_dict(),
            "cases_resolved": self.cases_resolved.as_dict(),
        }


AGENT_METRICS = ("chats_handled", "avg_handle_seconds", "csat_avg", "cases_resolved")


def agent_workload(session: Session, scope: Scope) -> list[AgentLoad]:
    """Per agent who did something in the period (the grouping does not apply):
    - chats_handled: handoffs the agent closed or handed back to the bot in the period;
    - avg_handle_seconds: mean seconds from taking such a chat (last claim) to closing it;
    - csat_avg: mean score of the ratings given in the period after the agent's chats;
    - cases_resolved: cases the agent owns that were resolved in the period."""
    period = scope.period
    chats: dict[int, tuple[float, float, float]] = {}
    for agent_id, handled, seconds, timed in session.execute(
        select(
            Handoff.agent_id,
            func.count(),
            func.sum(seconds_between(Handoff.resolved_at, Handoff.claimed_at)),
            func.count(Handoff.claimed_at),
        )
        .where(
            Handoff.agent_id.isnot(None),
            Handoff.status.in_((HandoffStatus.RESOLVED.value, HandoffStatus.RETURNED_TO_BOT.value)),
            period.contains(Handoff.resolved_at),
        )
        .group_by(Handoff.agent_id)
    ):
        chats[agent_id] = (float(handled), float(seconds or 0), float(timed))
    ratings = {
        agent_id: (float(total or 0), float(n))
        for agent_id, total, n in session.execute(
            select(Handoff.agent_id, func.sum(CsatAnswer.score), func.count())
            .join(Handoff, Handoff.id == CsatAnswer.handoff_id)
            .where(Handoff.agent_id.isnot(None), period.contains(CsatAnswer.created_at))
            .group_by(Handoff.agent_id)
        )
    }
    cases = {
        agent_id: float(n)
        for agent_id, n in session.execute(
            select(Case.owner_id, func.count())
            .where(Case.owner_id.isnot(None), Case.resolved_at.isnot(None), period.contains(Case.resolved_at))
            .group_by(Case.owner_id)
        )
    }
    ids = set(chats) | set(ratings) | set(cases)
    names = dict(session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(ids))).all()) if ids else {}
    loads = []
    for agent_id in ids:
        handled, seconds, timed = chats.get(agent_id, (0.0, 0.0, 0.0))
        score_sum, rated = ratings.get(agent_id, (0.0, 0.0))
        loads.append(
            AgentLoad(
                agent_id,
                names.get(agent_id, str(agent_id)),
                count(handled),
                ratio(seconds, timed),
                ratio(score_sum, rated),
                count(cases.get(agent_id, 0.0)),
            )
        )
    return sorted(loads, key=lambda load: (-(load.chats_handled.value or 0), load.name))
