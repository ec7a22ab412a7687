"""The held-out understanding evaluation (issue 8): data, a driver that talks to a real
stack through the gateway, and the scores.

Data (this directory, written independently of nlu_data/):
  shipments.jsonl     the customers' own parcels, in the import format of
                      docs/shipment.schema.json, dated relative to REFERENCE_NOW (shifted
                      to the real clock when imported, so "late" stays late)
  conversations.yml   multi-turn conversations labelled contained / handoff, with the
                      expected intent, entities, feeling, urgency and facts per turn
  messages.yml        single messages labelled with intent, entities, feeling, urgency

Behaviour is judged through the gateway's REST channel (replies; the agents' queue for
handoffs); intents, entities and signals through Rasa's /model/parse. The scores are
reported separately for train-like and unseen wording. benchmarks/eval_understanding.py
is the command; tests/understanding/ checks the data and (with a trained stack) the
targets.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.privacy import pseudonym

HERE = Path(__file__).resolve().parent
SHIPMENTS = HERE / "shipments.jsonl"
CONVERSATIONS = HERE / "conversations.yml"
MESSAGES = HERE / "messages.yml"

# The fixture's dates are written as seen at this moment (Monday 23 Nov 2026, 10:00 Shanghai).
REFERENCE_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))
WORDINGS = ("train_like", "unseen")
CLASSES = ("carrier_format", "not_found", "emotion", "urgency", "parcel_state", "no_number", "routine")
OUTCOMES = ("contained", "handoff")
EMOTIONS = ("none", "upset", "angry")
PRIORITY_RANK = {"normal": 0, "high": 1, "urgent": 2}
# Entities whose value is compared as one string (tracking numbers are compared as sets).
SINGLE_VALUE_ENTITIES = ("phone_last4", "time_window", "delivery_option", "carrier")
# An answer that acknowledges feelings contains one of these (either language).
EMPATHY_MARKERS = ("抱歉", "理解", "着急", "不便", "辛苦", "心情", "sorry", "understand", "apolog", "frustrat")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Turn:
    user: str
    intent: tuple[str, ...] | None = None
    entities: dict[str, Any] | None = None
    emotion: str | None = None
    urgent: bool | None = None
    says: tuple[str, ...] = ()
    says_any: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    handoff: bool | None = None
    acknowledge: bool = False


@dataclass(frozen=True)
class Conversation:
    id: str
    wording: str
    classes: tuple[str, ...]
    outcome: str
    turns: tuple[Turn, ...]
    priority: str | None = None


@dataclass(frozen=True)
class LabelledMessage:
    """A customer message with its labels (standalone or a conversation turn)."""

    text: str
    wording: str
    source: str  # "messages.yml" or the conversation id
    intent: tuple[str, ...] | None = None
    entities: dict[str, Any] | None = None
    emotion: str | None = None
    urgent: bool | None = None


def _intents(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(value) if isinstance(value, list) else (str(value),)


def _entities(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    result = dict(value)
    if "tracking_number" in result:
        result["tracking_number"] = [normalize_number(v) for v in result["tracking_number"]]
    return result


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or ()))


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
    conversations = []
    for item in raw:
        turns = tuple(
            Turn(
                user=str(t["user"]),
                intent=_intents(t.get("intent")),
                entities=_entities(t.get("entities")),
                emotion=t.get("emotion"),
                urgent=t.get("urgent"),
                says=_strings(t.get("says")),
                says_any=_strings(t.get("says_any")),
                not_says=_strings(t.get("not_says")),
                handoff=t.get("handoff"),
                acknowledge=bool(t.get("acknowledge", False)),
            )
            for t in item["turns"]
        )
        conversations.append(
            Conversation(
                id=str(item["id"]),
                wording=item["wording"],
                classes=tuple(item.get("classes") or ()),
                outcome=item["outcome"],
                turns=turns,
                priority=item.get("priority"),
            )
        )
    return conversations


def load_messages(path: Path = MESSAGES) -> list[LabelledMessage]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    return [
        LabelledMessage(
            text=str(m["text"]),
            wording=m["wording"],
            source=path.name,
            intent=_intents(m.get("intent")),
            entities=_entities(m.get("entities")),
            emotion=m.get("emotion"),
            urgent=m.get("urgent"),
        )
        for m in raw
    ]


def labelled_messages(
    conversations: Sequence[Conversation], messages: Sequence[LabelledMessage]
) -> list[LabelledMessage]:
    """Every customer message of the evaluation: standalone ones and conversation turns."""
    result = list(messages)
    for conversation in conversations:
        for turn in conversation.turns:
            result.append(
                LabelledMessage(
                    text=turn.user,
                    wording=conversation.wording,
                    source=conversation.id,
                    intent=turn.intent,
                    entities=turn.entities,
                    emotion=turn.emotion,
                    urgent=turn.urgent,
                )
            )
    return result


def normalize_number(raw: str) -> str:
    return re.sub(r"[\s\-_]+", "", unicodedata.normalize("NFKC", str(raw))).upper()


def fixture_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SHIPMENTS.read_text(encoding="utf-8").splitlines() if line.strip()]


_DATE_FIELDS = ("shipped_at", "promised_by", "eta")
_NESTED_DATE_FIELDS = {"exception": ("reported_at", "new_eta"), "delivery": ("signed_at",)}


def _shift(value: str | None, delta: timedelta) -> str | None:
    if not value:
        return value
    return (datetime.fromisoformat(value) + delta).isoformat()


def shifted_fixture(now: datetime | None = None) -> list[str]:
    """The fixture as import lines, every date moved by (now - REFERENCE_NOW)."""
    delta = (now or datetime.now(timezone.utc)) - REFERENCE_NOW
    delta = timedelta(minutes=round(delta.total_seconds() / 60))
    lines = []
    for record in fixture_records():
        for name in _DATE_FIELDS:
            record[name] = _shift(record.get(name), delta)
        for part, names in _NESTED_DATE_FIELDS.items():
            if record.get(part):
                for name in names:
                    record[part][name] = _shift(record[part].get(name), delta)
        for event in record.get("events") or []:
            event["time"] = _shift(event["time"], delta)
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def import_fixture(database_url: str, now: datetime | None = None) -> Any:
    """Upsert the evaluation shipments (dates shifted to `now`) into the store."""
    from bot.db import init_db, make_engine, make_session_factory
    from bot.store.importer import import_jsonl

    engine = make_engine(database_url)
    try:
        init_db(engine)
        summary = import_jsonl(shifted_fixture(now), make_session_factory(engine), progress=False)
    finally:
        engine.dispose()
    if summary.rejected:
        raise RuntimeError(f"evaluation fixture rejected lines: {summary}")
    return summary


# --------------------------------------------------------------------------- reply checks


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".+?".join(re.escape(p) for p in parts), re.S)


def catalogue_matchers(keys: Iterable[str]) -> dict[str, list[re.Pattern[str]]]:
    """Regexes recognising the bot's own catalogue messages `keys` (both languages);
    keys the catalogue does not have are skipped."""
    try:
        from actions import texts
    except ImportError:  # pragma: no cover - the actions package is part of the repo
        return {}
    messages = getattr(texts, "MESSAGES", {})
    matchers: dict[str, list[re.Pattern[str]]] = {}
    for key in keys:
        entry = messages.get(key)
        if entry:
            matchers[key] = [_template_regex(template) for template in entry.values()]
    return matchers


# Replies that mean the bot failed the turn, whatever was said.
ALWAYS_FAILURES = ("fallback_first", "internal_error", "store_unavailable")
# Replies that fail a turn whose message carries a number the store knows.
FAILURES_WHEN_NUMBER_KNOWN = ("ask_number", "number_not_recognised", "not_found")


# --------------------------------------------------------------------------- running


@dataclass
class TurnResult:
    user: str
    replies: list[str]
    handed_off: bool
    failures: list[str] = field(default_factory=list)


@dataclass
class ConversationResult:
    id: str
    wording: str
    classes: list[str]
    outcome: str
    handed_off: bool
    handoff_priority: str | None
    turns: list[TurnResult]

    @property
    def turns_ok(self) -> bool:
        return all(not t.failures for t in self.turns)

    @property
    def success(self) -> bool:
        if self.outcome == "handoff":
            return self.handed_off and not any(t.failures for t in self.turns)
        return not self.handed_off and self.turns_ok


class GatewayDriver:
    """A customer (REST channel) and a supervisor watching the queue (agent API)."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, agent: str, password: str) -> None:
        self.http = http
        self.base = base_url.rstrip("/")
        self.agent = agent
        self.password = password
        self._token: str | None = None
        self._secrets: dict[str, str] = {}  # the conversation secret of each sender

    async def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        secret = self._secrets.get(sender)
        async with self.http.post(
            f"{self.base}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers={"X-Conversation-Secret": secret} if secret else {},
        ) as response:
            body = await response.json(content_type=None)
            if response.status != 200 or not isinstance(body, list):
                raise RuntimeError(f"gateway answered {response.status}: {body}")
            if response.headers.get("X-Conversation-Secret"):
                self._secrets[sender] = response.headers["X-Conversation-Secret"]
            return body

    async def _headers(self) -> dict[str, str]:
        if self._token is None:
            async with self.http.post(
                f"{self.base}/api/login", json={"username": self.agent, "password": self.password}
            ) as response:
                body = await response.json(content_type=None)
                if response.status != 200:
                    raise RuntimeError(f"agent login failed: {response.status} {body}")
                self._token = body["token"]
        return {"Authorization": f"Bearer {self._token}"}

    async def queue_item(self, sender: str) -> dict[str, Any] | None:
        """The waiting handoff of this customer, if the conversation reached the queue."""
        async with self.http.get(f"{self.base}/api/queue", headers=await self._headers()) as response:
            body = await response.json(content_type=None)
            if response.status != 200:
                raise RuntimeError(f"queue answered {response.status}: {body}")
        alias = pseudonym("rest", sender)  # agents see a pseudonym of the sender
        return next((item for item in body.get("items", []) if item.get("sender_id") == alias), None)


def _reply_texts(replies: list[dict[str, Any]]) -> list[str]:
    return [str(r["text"]) for r in replies if r.get("text")]


def check_turn(
    turn: Turn,
    replies: list[str],
    known_numbers: set[str],
    matchers: dict[str, list[re.Pattern[str]]],
    handed_off: bool,
) -> list[str]:
    """Why the bot's replies to `turn` fail it (empty: the turn passed)."""
    failures: list[str] = []
    text = "\n".join(replies)
    lowered = text.lower()
    if not replies and not handed_off:
        failures.append("no reply")
    for key in ALWAYS_FAILURES:
        if any(rx.search(text) for rx in matchers.get(key, [])):
            failures.append(f"reply: {key}")
    numbers = (turn.entities or {}).get("tracking_number") or []
    if any(n in known_numbers for n in numbers):
        for key in FAILURES_WHEN_NUMBER_KNOWN:
            if any(rx.search(text) for rx in matchers.get(key, [])):
                failures.append(f"reply: {key} although the number is known")
    missing = [fact for fact in turn.says if fact.lower() not in lowered]
    if missing and not (handed_off and turn.handoff):
        failures.append(f"missing {missing}")
    if (
        turn.says_any
        and not any(fact.lower() in lowered for fact in turn.says_any)
        and not (handed_off and turn.handoff)
    ):
        failures.append(f"none of {list(turn.says_any)}")
    leaked = [fact for fact in turn.not_says if fact.lower() in lowered]
    if leaked:
        failures.append(f"revealed {leaked}")
    if turn.acknowledge and not any(marker in lowered for marker in EMPATHY_MARKERS):
        failures.append("feelings not acknowledged")
    if turn.handoff and not handed_off:
        failures.append("no handoff")
    return failures


async def run_conversation(
    driver: GatewayDriver,
    conversation: Conversation,
    known_numbers: set[str],
    matchers: dict[str, list[re.Pattern[str]]],
) -> ConversationResult:
    sender = f"eval-{conversation.id}-{uuid.uuid4().hex[:8]}"
    results: list[TurnResult] = []
    item: dict[str, Any] | None = None
    last = len(conversation.turns) - 1
    for index, turn in enumerate(conversation.turns):
        replies = _reply_texts(await driver.say(sender, turn.user))
        if item is None and (turn.handoff or index == last or conversation.outcome == "contained"):
            item = await driver.queue_item(sender)
        handed_off = item is not None
        failures = check_turn(turn, replies, known_numbers, matchers, handed_off)
        if conversation.outcome == "contained" and handed_off:
            failures.append("handed off")
        results.append(TurnResult(turn.user, replies, handed_off, failures))
        if handed_off and conversation.outcome == "contained":
            break
    if item is not None and conversation.priority:
        wanted = PRIORITY_RANK.get(conversation.priority, 0)
        if PRIORITY_RANK.get(item.get("priority", "normal"), 0) < wanted:
            results[-1].failures.append(f"priority {item.get('priority')} < {conversation.priority}")
    return ConversationResult(
        conversation.id,
        conversation.wording,
        list(conversation.classes),
        conversation.outcome,
        item is not None,
        item.get("priority") if item else None,
        results,
    )


async def parse(http: aiohttp.ClientSession, rasa_url: str, text: str, token: str | None = None) -> dict[str, Any]:
    params = {"token": token} if token else None
    async with http.post(f"{rasa_url.rstrip('/')}/model/parse", json={"text": text}, params=params) as response:
        body = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"Rasa /model/parse answered {response.status}: {body}")
        return body


@dataclass
class ParseResult:
    message: LabelledMessage
    intent: str | None
    entities: dict[str, list[str]]
    emotion: str | None
    urgent: bool | None


def read_parse(message: LabelledMessage, body: dict[str, Any]) -> ParseResult:
    entities: dict[str, list[str]] = {}
    for entity in body.get("entities") or []:
        name, value = entity.get("entity"), entity.get("value")
        if not name or value is None:
            continue
        value = normalize_number(value) if name == "tracking_number" else str(value)
        if value not in entities.setdefault(name, []):
            entities[name].append(value)
    signals = body.get("signals") or {}
    return ParseResult(
        message, (body.get("intent") or {}).get("name"), entities, signals.get("emotion"), signals.get("urgent")
    )


# --------------------------------------------------------------------------- scores


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _f1(tp: int, fp: int, fn: int) -> dict[str, float | None]:
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = (
        round(2 * precision * recall / (precision + recall), 3)
        if precision is not None and recall is not None and precision + recall
        else None
    )
    return {"precision": precision, "recall": recall, "f1": f1}


def score_conversations(results: Sequence[ConversationResult]) -> dict[str, Any]:
    routine = [r for r in results if r.outcome == "contained"]
    needs_person = [r for r in results if r.outcome == "handoff"]
    handed = [r for r in results if r.handed_off]
    contained = [r for r in routine if r.success]
    return {
        "conversations": len(results),
        "containment": _ratio(len(contained), len(routine)),
        "contained": f"{len(contained)}/{len(routine)}",
        "handoff_recall": _ratio(sum(r.handed_off for r in needs_person), len(needs_person)),
        "handoff_precision": _ratio(sum(r.outcome == "handoff" for r in handed), len(handed)),
        "handoffs": f"{sum(r.handed_off for r in needs_person)}/{len(needs_person)} needed, {len(handed)} made",
        "handoff_success": _ratio(sum(r.success for r in needs_person), len(needs_person)),
        "turns_passed": _ratio(
            sum(not t.failures for r in results for t in r.turns), sum(len(r.turns) for r in results)
        ),
    }


def score_messages(results: Sequence[ParseResult]) -> dict[str, Any]:
    with_intent = [r for r in results if r.message.intent]
    intent_ok = sum(r.intent in (r.message.intent or ()) for r in with_intent)
    tp = fp = fn = 0
    single_ok = single_total = 0
    for r in results:
        expected = r.message.entities
        if expected is None:
            continue
        if "tracking_number" in expected:
            want = set(expected["tracking_number"])
            got = set(r.entities.get("tracking_number", []))
            tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
        for name in SINGLE_VALUE_ENTITIES:
            if name in expected:
                single_total += 1
                single_ok += str(expected[name]) in r.entities.get(name, [])
    with_emotion = [r for r in results if r.message.emotion]
    upset_wanted = [r for r in with_emotion if r.message.emotion != "none"]
    upset_found = [r for r in with_emotion if r.emotion not in (None, "none")]
    with_urgency = [r for r in results if r.message.urgent is not None]
    urgent_wanted = [r for r in with_urgency if r.message.urgent]
    urgent_found = [r for r in with_urgency if r.urgent]
    return {
        "messages": len(results),
        "intent_accuracy": _ratio(intent_ok, len(with_intent)),
        "tracking_number": _f1(tp, fp, fn),
        "other_entities_accuracy": _ratio(single_ok, single_total),
        "emotion_accuracy": _ratio(
            sum((r.emotion or "none") == r.message.emotion for r in with_emotion), len(with_emotion)
        ),
        "feeling_detection": {
            "recall": _ratio(sum(r.emotion not in (None, "none") for r in upset_wanted), len(upset_wanted)),
            "precision": _ratio(sum(r.message.emotion != "none" for r in upset_found), len(upset_found)),
        },
        "urgency_detection": {
            "recall": _ratio(sum(bool(r.urgent) for r in urgent_wanted), len(urgent_wanted)),
            "precision": _ratio(sum(bool(r.message.urgent) for r in urgent_found), len(urgent_found)),
        },
    }


def score(conversations: Sequence[ConversationResult], parses: Sequence[ParseResult]) -> dict[str, Any]:
    """Scores per wording ("train_like", "unseen") and over everything ("all"), plus
    conversation success per class."""
    report: dict[str, Any] = {}
    for wording in (*WORDINGS, "all"):
        convs = [c for c in conversations if wording in (c.wording, "all")]
        msgs = [p for p in parses if wording in (p.message.wording, "all")]
        report[wording] = {**score_conversations(convs), **score_messages(msgs)}
    report["classes"] = {
        name: _ratio(
            sum(c.success for c in conversations if name in c.classes), sum(name in c.classes for c in conversations)
        )
        for name in CLASSES
    }
    return report


ROWS = (
    ("conversations", "conversations"),
    ("containment", "containment (routine conversations finished by the bot)"),
    ("contained", "  contained / routine"),
    ("handoff_recall", "handoff recall (need a person -> queued)"),
    ("handoff_precision", "handoff precision (queued -> needed a person)"),
    ("handoffs", "  handoffs"),
    ("handoff_success", "handoff conversations fully right"),
    ("turns_passed", "turns passed"),
    ("messages", "messages (NLU)"),
    ("intent_accuracy", "intent accuracy"),
    ("tracking_number.f1", "tracking number F1"),
    ("tracking_number.recall", "  tracking number recall"),
    ("tracking_number.precision", "  tracking number precision"),
    ("other_entities_accuracy", "phone digits / time window / option accuracy"),
    ("emotion_accuracy", "feeling label accuracy"),
    ("feeling_detection.recall", "upset/angry detected (recall)"),
    ("feeling_detection.precision", "  precision"),
    ("urgency_detection.recall", "urgent goods detected (recall)"),
    ("urgency_detection.precision", "  precision"),
)


def _get(scores: dict[str, Any], dotted: str) -> Any:
    value: Any = scores
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def format_report(scores: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """A table: one row per figure, columns train_like / unseen / all (with the baseline
    as "before -> now" when given)."""
    width = max(len(label) for _, label in ROWS) + 2
    lines = [f"{'':{width}}" + "".join(f"{w:>24}" for w in (*WORDINGS, "all"))]
    for key, label in ROWS:
        cells = []
        for wording in (*WORDINGS, "all"):
            now = _cell(_get(scores[wording], key))
            if baseline is not None:
                now = f"{_cell(_get(baseline.get(wording, {}), key))} -> {now}"
            cells.append(f"{now:>24}")
        lines.append(f"{label:<{width}}" + "".join(cells))
    lines.append("")
    lines.append("conversation success per class:")
    for name, value in scores["classes"].items():
        before = f"{_cell((baseline or {}).get('classes', {}).get(name))} -> " if baseline else ""
        lines.append(f"  {name:<16}{before}{_cell(value)}")
    return "\n".join(lines)


def failures_text(results: Sequence[ConversationResult]) -> str:
    lines = []
    for result in results:
        if result.success:
            continue
        state = "handed off" if result.handed_off else "not handed off"
        lines.append(f"✗ {result.id} [{result.wording}; expected {result.outcome}; {state}]")
        for turn in result.turns:
            mark = "  ✗" if turn.failures else "  ✓"
            lines.append(f"{mark} {turn.user}")
            for reply in turn.replies:
                lines.append("      > " + reply.replace("\n", "\n        "))
            for failure in turn.failures:
                lines.append(f"      ! {failure}")
    return "\n".join(lines)


def results_json(
    scores: dict[str, Any],
    conversations: Sequence[ConversationResult],
    parses: Sequence[ParseResult],
    *,
    replies: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """Scores and every result; without `replies`, only what failed and why (a baseline)."""
    if replies:
        outcomes = [{**asdict(c), "success": c.success} for c in conversations]
        parsed = [
            {
                "text": p.message.text,
                "source": p.message.source,
                "wording": p.message.wording,
                "expected_intent": list(p.message.intent or []),
                "intent": p.intent,
                "entities": p.entities,
                "emotion": p.emotion,
                "urgent": p.urgent,
            }
            for p in parses
        ]
    else:
        outcomes = [
            {
                "id": c.id,
                "wording": c.wording,
                "outcome": c.outcome,
                "handed_off": c.handed_off,
                "success": c.success,
                "failures": [f for t in c.turns for f in t.failures],
            }
            for c in conversations
        ]
        parsed = [
            {"text": p.message.text, "intent": p.intent}
            for p in parses
            if p.message.intent and p.intent not in p.message.intent
        ]
    return {**extra, "scores": scores, "conversations": outcomes, "messages": parsed}


async def evaluate(
    base_url: str,
    rasa_url: str,
    agent: str,
    password: str,
    *,
    rasa_token: str | None = None,
    only: str | None = None,
    concurrency: int = 4,
) -> tuple[dict[str, Any], list[ConversationResult], list[ParseResult]]:
    """Run every conversation through the gateway and every message through the NLU."""
    import asyncio

    conversations = load_conversations()
    messages = load_messages()
    if only:
        conversations = [c for c in conversations if only in c.id]
    known = {normalize_number(r["tracking_number"]) for r in fixture_records()}
    matchers = catalogue_matchers(ALWAYS_FAILURES + FAILURES_WHEN_NUMBER_KNOWN)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        driver = GatewayDriver(http, base_url, agent, password)
        gate = asyncio.Semaphore(concurrency)

        async def one(conversation: Conversation) -> ConversationResult:
            async with gate:
                return await run_conversation(driver, conversation, known, matchers)

        results = list(await asyncio.gather(*(one(c) for c in conversations)))
        all_messages = labelled_messages(conversations, messages)

        async def parsed(message: LabelledMessage) -> ParseResult:
            async with gate:
                return read_parse(message, await parse(http, rasa_url, message.text, rasa_token))

        parses = list(await asyncio.gather(*(parsed(m) for m in all_messages)))
    return score(results, parses), results, parses
