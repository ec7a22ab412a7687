"""Feelings and urgency read from every customer message: a scored lexicon plus rules.

`read(text)` gives a `Signals`: the emotion (none / upset / angry) with its score and
the cues that fired, and whether the message speaks of urgently needed goods (medicine,
perishables, documents for a deadline, a hospital waiting) with the kind of need. The
NLU pipeline adds it to every parse result (`bot.nlu.components.SignalReader`, key
`signals`); the actions read it from the latest message (or compute it again) to
acknowledge the feeling first, offer or make a handoff, and open the green channel.

Scoring (calibrated on tests/unit/signal_examples.yml, not on the evaluation set):
each cue family adds its weight once per distinct cue, capped per family, so that one
word repeated does not make a customer angry. A threat to complain to a regulator /
the consumer association / a bad review, or profanity, makes the message angry on its
own; otherwise the score decides (UPSET_AT, ANGRY_AT). Tracking numbers and long digit
runs are removed first ("315" inside a number is no threat). Traditional Chinese and
full-width text are normalised first, so one lexicon serves both; English cues match
whole words, Cantonese cues are listed with the Mandarin ones.

Urgency is about the goods or the need, not about impatience: "急急急" alone is no
green channel, "降压药" or "活的大闸蟹" is. Medical goods and perishables count on
their own; a hospital or patient waiting and documents count with a time pressure cue
(today, tomorrow, a deadline, "waiting for it").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

NONE = "none"
UPSET = "upset"
ANGRY = "angry"
EMOTIONS = (NONE, UPSET, ANGRY)

UPSET_AT = 1.5
ANGRY_AT = 4.0

MEDICAL = "medical"
PERISHABLE = "perishable"
DEADLINE = "deadline"


@dataclass(frozen=True)
class CueFamily:
    name: str
    weight: float
    cap: float
    cues: tuple[str, ...]
    # A cue of this family makes the message angry whatever the score.
    decisive: bool = False
    # "不着急" is no worry: a negation right before a cue of this family cancels it.
    negatable: bool = False


# --------------------------------------------------------------------------- emotion lexicon


def _cues(joined: str) -> tuple[str, ...]:
    """Cues written compactly: "a|b|c" (a cue may contain spaces: "fed up")."""
    return tuple(cue for cue in joined.split("|") if cue)


FAMILIES: tuple[CueFamily, ...] = (
    CueFamily(
        "threat",
        4.0,
        4.0,
        _cues(
            "12305|12315|消协|消费者协会|差评|曝光|律师|起诉|法院|媒体|记者|电视台|邮政局|邮政管理局|市场监管|"
            "工商局|lawyer|sue|court|media|journalist|regulator|consumer association|bad review|report you"
        ),
        decisive=True,
    ),
    CueFamily(
        "complaint",
        3.0,
        3.0,
        _cues("投诉你们|我要投诉|我要举报|去投诉|要投诉|complain about you|make a complaint|file a complaint"),
    ),
    CueFamily(
        "profanity",
        4.0,
        4.0,
        _cues(
            "tmd|tm的|他妈|他娘|妈的|妈蛋|卧槽|操你|草泥马|尼玛|你妹的|傻逼|傻b|sb|煞笔|狗日|滚蛋|扑街|"
            "顶你个肺|屌|fuck|fucking|shit|wtf|damn|bullshit|crap"
        ),
        decisive=True,
    ),
    CueFamily(
        "outrage",
        4.0,
        4.0,
        _cues(
            "怎么做事|怎么办事|到底怎么搞|搞什么|搞咩|有冇搞错|有没有搞错|什么破|破快递|破公司|垃圾快递|"
            "垃圾公司|垃圾服务|真垃圾|太垃圾|骗子|骗鬼|欺人太甚|气死|要疯了|快疯了|受够了|不要脸|耍我|敷衍|"
            "给个说法|给说法|给我个说法|给我答复|凭什么|ridiculous|unacceptable|outrageous|worst|furious|"
            "fed up|sick of|scam"
        ),
    ),
    CueFamily(
        "reproach",
        3.0,
        6.0,
        _cues(
            "骗人|忽悠|太过分|坑人|坑爹|没人管|离谱|是不是根本|到底想怎样|还想不想干|什么态度|态度太差|"
            "态度恶劣|太恶劣|骂人|废物|useless|pathetic|disgusting|incompetent|joke of a"
        ),
    ),
    CueFamily(
        "repetition",
        2.0,
        3.0,
        _cues(
            "第三次|第四次|第五次|第几次|第n次|好几次|几次了|多少次|无数次|讲咗几次|问了几次|问了好几次|"
            "催了好几次|催了几次|每次都|又是这样|又没送|又没到|又延误|一次又一次|third time|fourth time|"
            "many times|several times|every time|yet again|once again|how many times|still nothing"
        ),
    ),
    CueFamily(
        "sarcasm",
        2.0,
        2.5,
        _cues(
            "呵呵|真是绝了|真绝了|效率真高|效率真是|真是好快|真快啊|好快哦|真行|真厉害|厉害了|我服了|真服了|"
            "服了你们|佩服|走路来的|爬过来|爬来的|蜗牛|乌龟|这算什么|算什么次日达|笑死|yeah right|"
            "thanks for nothing|what a joke"
        ),
    ),
    CueFamily(
        "distress",
        1.5,
        2.5,
        _cues(
            "着急|急死|急人|好急|等了好久|等好久|这么久|那么久|这么慢|太慢|好慢|慢死|等不及|烦死|好烦|真烦|"
            "心疼|郁闷|失望|生气|气人|无语|崩溃|太差|不满意|压根没|根本没|咁耐|好耐|唔该快啲|annoyed|"
            "frustrated|frustrating|upset|disappointed|angry|terrible|taking forever|so slow|too slow|worried|"
            "anxious|急急|没人通知|没人联系"
        ),
        negatable=True,
    ),
    CueFamily(
        "overdue",
        1.0,
        1.5,
        _cues(
            "超时|都超|都第|都过了|一个礼拜了|一个星期了|一周了|成个礼拜|到底|究竟|还是没|说好的|still not|"
            "still hasn't|still haven't|where is it"
        ),
        negatable=True,
    ),
)

EMOJI_ANGRY = ("😡", "🤬", "😤", "💢", "😠", "👿")
EMOJI_UPSET = ("😭", "😢", "😞", "😩", "😫", "🙄", "😒", "😣", "😖")

# "都四天了", "第五天了", "十天了都": a duration the customer is counting.
_COUNTED_DAYS = re.compile(r"(?:都|第|已经)[一二两三四五六七八九十\d]+(?:天|日|周|个星期|个礼拜)")
_BANGS = re.compile(r"[!！]{2,}")
_QUESTIONS = re.compile(r"[?？]{2,}|[?？][!！]|[!！][?？]")
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_KNOWN_ACRONYMS = {"EMS", "UPS", "DHL", "ETA", "SMS", "APP", "VIP", "USA", "TNT", "ZTO", "STO", "YTO", "JDL"}

# --------------------------------------------------------------------------- urgency lexicon

URGENT_GOODS: dict[str, tuple[str, ...]] = {
    MEDICAL: _cues(
        "药|胰岛素|救命|医疗|疫苗|急救|处方|透析|血糖仪|制氧机|呼吸机|化疗|试剂|medicine|medication|insulin|"
        "vaccine|medical|prescription|life-saving|lifesaving|drug|drugs|pharmacy"
    ),
    PERISHABLE: _cues(
        "生鲜|海鲜|冷链|冷冻|冻品|是活的|活蟹|大闸蟹|螃蟹|龙虾|鲜花|花束|水果|荔枝|樱桃|榴莲|草莓|蛋糕|鲜肉|"
        "牛肉|猪肉|母乳|冰淇淋|会坏|坏掉|变质|融化|蔫|会死|死掉|保质期|perishable|seafood|fresh flowers|"
        "flowers|frozen|live crab|live lobster|cake|spoil|go bad|melt|breast milk"
    ),
}
# A hospital or a patient waiting is urgent; a hospital as an address is not.
CARE = _cues("医院|病人|患者|住院|手术|hospital|patient")
DOCUMENTS = _cues(
    "面试|考试|准考证|签证|护照|合同|标书|投标|录取通知书|开庭|登机|证件|户口本|毕业证|材料|interview|exam|"
    "visa|passport|contract|tender|documents|boarding"
)
TIME_PRESSURE = _cues(
    "今天|今晚|今日|明天|明早|马上|立刻|截止|来不及|赶时间|急|下午|上午|等着|today|tonight|tomorrow|deadline|"
    "asap|urgent|urgently|right now|this afternoon|waiting|need it"
)
_NEGATED = re.compile(r"(?:不|没|无|别|并非|不是)$")


@dataclass(frozen=True)
class Signals:
    emotion: str = NONE
    score: float = 0.0
    urgent: bool = False
    urgency: str | None = None  # medical | perishable | deadline
    cues: tuple[str, ...] = field(default_factory=tuple)

    @property
    def upset(self) -> bool:
        return self.emotion in (UPSET, ANGRY)

    @property
    def angry(self) -> bool:
        return self.emotion == ANGRY

    @property
    def threatens(self) -> bool:
        return any(cue.startswith("threat:") for cue in self.cues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "emotion": self.emotion,
            "score": round(self.score, 2),
            "urgent": self.urgent,
            "urgency": self.urgency,
            "cues": list(self.cues),
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Signals | None:
        """Signals as sent in a parse result (None when absent or malformed)."""
        if not isinstance(raw, dict) or raw.get("emotion") not in EMOTIONS:
            return None
        urgency = raw.get("urgency")
        return cls(
            emotion=str(raw["emotion"]),
            score=float(raw.get("score") or 0.0),
            urgent=raw.get("urgent") is True,
            urgency=str(urgency) if urgency in (MEDICAL, PERISHABLE, DEADLINE) else None,
            cues=tuple(str(c) for c in raw.get("cues") or () if isinstance(c, str)),
        )


def _prepare(text: str) -> str:
    """Normalised text without tracking numbers and long digit runs."""
    from bot.nlu.text import normalize_text
    from bot.store.tracking_numbers import find_tracking_numbers

    text = normalize_text(text or "")
    for found in reversed(find_tracking_numbers(text)):
        text = text[: found.start] + " " + text[found.end :]
    return re.sub(r"[A-Za-z]*\d{7,}[A-Za-z0-9]*", " ", text)


def _cue_pattern(cue: str) -> re.Pattern[str]:
    escaped = re.escape(cue.lower())
    if cue.isascii() and re.search(r"[a-z]", cue.lower()):
        # Whole English words only ("sb" is no cue inside "sbux", "sue" none inside "issue").
        return re.compile(rf"(?<![a-z0-9]){escaped}(?:s|es|ed|ing)?(?![a-z0-9])")
    if cue.isdigit():
        return re.compile(rf"(?<!\d){escaped}(?!\d)")
    return re.compile(escaped)


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _found(cue: str, lowered: str, negatable: bool = True) -> bool:
    pattern = _PATTERNS.get(cue)
    if pattern is None:
        pattern = _PATTERNS[cue] = _cue_pattern(cue)
    for match in pattern.finditer(lowered):
        if not negatable or not _NEGATED.search(lowered[max(0, match.start() - 2) : match.start()]):
            return True
    return False


def _spans(cue: str, lowered: str, negatable: bool) -> list[tuple[int, int]]:
    pattern = _PATTERNS.get(cue)
    if pattern is None:
        pattern = _PATTERNS[cue] = _cue_pattern(cue)
    return [
        m.span()
        for m in pattern.finditer(lowered)
        if not negatable or not _NEGATED.search(lowered[max(0, m.start() - 2) : m.start()])
    ]


def _distinct(spans: list[tuple[int, int]]) -> int:
    """How many separate places of the text the spans cover (overlapping ones count once:
    "真是绝了" and "效率真是" in "效率真是绝了" are one remark)."""
    count, end = 0, -1
    for start, stop in sorted(spans):
        if start >= end:
            count += 1
        end = max(end, stop)
    return count


def _any(cues: Iterable[str], lowered: str) -> str | None:
    return next((cue for cue in cues if _found(cue, lowered)), None)


def _emotion(original: str, lowered: str) -> tuple[str, float, list[str]]:
    score = 0.0
    fired: list[str] = []
    decisive = False
    counted_days = [m.span() for m in _COUNTED_DAYS.finditer(lowered)]
    for family in FAMILIES:
        spans = {cue: _spans(cue, lowered, family.negatable) for cue in family.cues}
        hits = [cue for cue, found in spans.items() if found]
        # Cues overlapping in the text are one remark ("气死" in "气死我了", "这算什么次日达").
        places = [span for cue in hits for span in spans[cue]]
        if family.name == "overdue":  # "都第五天了" is one count of days, not two cues
            places = [p for p in places if not any(p[0] < e and s < p[1] for s, e in counted_days)]
        if hits:
            score += min(family.cap, family.weight * _distinct(places)) if places else 0.0
            fired += [f"{family.name}:{cue}" for cue in hits]
            decisive = decisive or family.decisive
    if counted_days:
        score += 1.0
        fired.append("counted_days")
    if _BANGS.search(original):
        score += 1.5 if re.search(r"[!！]{3,}", original) else 1.0
        fired.append("exclamations")
    if _QUESTIONS.search(original):
        score += 1.0
        fired.append("question_marks")
    caps = [w for w in _CAPS_WORD.findall(original) if w not in _KNOWN_ACRONYMS]
    if len(caps) >= 2:  # shouting; a whole message in capitals is anger
        score += 4.0 if len(caps) >= 4 else 2.0
        fired.append("all_caps")
    angry_faces = sum(original.count(e) for e in EMOJI_ANGRY)
    if angry_faces:
        score += {1: 2.0, 2: 2.5}.get(angry_faces, 4.0)
        fired.append("emoji_angry")
    elif any(e in original for e in EMOJI_UPSET):
        score += 1.5
        fired.append("emoji_upset")
    if decisive or score >= ANGRY_AT:
        return ANGRY, score, fired
    return (UPSET if score >= UPSET_AT else NONE), score, fired


def _urgency(lowered: str) -> tuple[str | None, list[str]]:
    for kind, cues in URGENT_GOODS.items():
        cue = _any(cues, lowered)
        if cue is not None:
            return kind, [f"{kind}:{cue}"]
    pressure = _any(TIME_PRESSURE, lowered)
    if pressure is None:
        return None, []
    care = _any(CARE, lowered)
    if care is not None:
        return MEDICAL, [f"{MEDICAL}:{care}+{pressure}"]
    document = _any(DOCUMENTS, lowered)
    if document is not None:
        return DEADLINE, [f"{DEADLINE}:{document}+{pressure}"]
    return None, []


def read(text: str) -> Signals:
    """The feeling and urgency of one customer message."""
    if not text or text.startswith("/"):  # button payloads are not the customer's words
        return Signals()
    prepared = _prepare(text)
    lowered = prepared.lower()
    emotion, score, fired = _emotion(prepared, lowered)
    urgency, urgency_cues = _urgency(lowered)
    return Signals(emotion, score, urgency is not None, urgency, tuple(fired + urgency_cues))


def urgency_of(texts: Iterable[str]) -> str | None:
    """The most pressing need named in any of `texts` (medical first), or None."""
    kinds = {read(text).urgency for text in texts}
    for kind in (MEDICAL, PERISHABLE, DEADLINE):
        if kind in kinds:
            return kind
    return None
