"""Customs clearance and duties of cross-border parcels."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions import catalogue, conversation, db, texts
from actions.base import Context, Shipments, say_not_found
from actions.handoff import escalate_if_needed
from actions.topics import topic
from bot import clock
from bot.cases import wording
from bot.contract import CaseType, HandoffCategory
from bot.pii import mask_text
from bot.store.models import Shipment

# Statuses in which the customer has something to provide or pay.
_NEEDS_CUSTOMER = ("not_started", "in_progress", "held", "duty_unpaid")


def _customs_answer(ctx: Context, shipment: Shipment) -> str:
    number = shipment.tracking_number
    record = shipment.customs
    if record is None and not shipment.cross_border:
        return ctx.t("customs_domestic", number=number, origin=shipment.origin, destination=shipment.destination)
    if record is None or not record.status:
        return ctx.t("customs_no_record", number=number)
    status = ctx.t("customs_status", number=number, status=texts.customs_label(ctx.lang, record.status))
    explain_key = f"customs_explain_{record.status}"
    explanation = ctx.t(explain_key) if explain_key in catalogue.MESSAGES else ""
    lines = [(" " if ctx.lang == "en" else "").join(part for part in (status, explanation) if part)]
    if record.status == "duty_unpaid" and record.duty_amount:
        lines.append(ctx.t("customs_duty", amount=texts.money_text(record.duty_amount, record.duty_currency)))
    documents = [doc for doc in (record.required_documents or []) if doc]
    if documents and record.status in _NEEDS_CUSTOMER:
        # Someone must receive the documents and hand them to customs: a case owns that.
        case, created = db.open_case(
            CaseType.CUSTOMS_DOCUMENTS.value,
            [shipment],
            ctx.conversation_id,
            language=ctx.lang,
            summary="customs documents needed: " + ", ".join(documents)[:200],
            details={"documents": documents},
        )
        ctx.announce_case(case, created, upload=True)
        upload = ctx.t(
            "customs_docs_case", reference=case.reference, next=wording.next_step(case, ctx.lang, clock.utcnow())
        )
        lines.append(ctx.t("customs_docs", docs=texts.join_list(ctx.lang, documents), upload=upload))
    if record.note:
        lines.append(ctx.t("customs_note", note=mask_text(record.note)))
    return "\n".join(lines)


@topic(
    conversation.CUSTOMS,
    action="action_customs",
    purpose=("查询清关进度", "check the customs clearance"),
    done=("说明清关状态", "explained the customs status"),
    category=HandoffCategory.CUSTOMS,
)
def customs(ctx: Context, shipments: Shipments) -> list[EventType]:
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
        else:
            ctx.say(_customs_answer(ctx, shipment))
    return escalate_if_needed(ctx, shipments, exception_topic=True, category=HandoffCategory.CUSTOMS)
