"""Rule-based extraction of personal data and verification answers with spaCy.

A blank Chinese pipeline segmented by jieba (with the logistics dictionary) needs no
downloaded model. A Matcher finds phone numbers, "last four digits" answers, pickup
codes, addresses and names in free text; bot.pii masks with it and the Rasa
component bot.nlu.components.SpacyRuleEntityExtractor turns matches into entities.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.config import ROOT_DIR

JIEBA_DICT_DIR = ROOT_DIR / "nlu_data" / "jieba_dict"

LAST4_CUES = ["尾号", "后四位", "后4位", "末四位", "末4位", "尾数", "后四个", "尾号是", "手机尾号"]
PICKUP_CUES = ["取件码", "取货码", "提货码", "取件", "取货", "提货", "pickup", "code"]
NAME_CUES = ["收件人", "寄件人", "联系人", "签收人", "姓名", "名字", "我叫", "收货人"]
ADDRESS_HEAD = r"(省|市|区|县|自治区|州|盟|旗)$"
ADDRESS_TAIL = r"(号|室|楼|栋|幢|单元|号楼|弄|村|小区|大厦|公寓|花园|苑|园|座|层)$"


@dataclass(frozen=True)
class RuleMatch:
    label: str  # PHONE, PHONE_LAST4, PICKUP_CODE, ADDRESS, PERSON
    start: int  # character offsets in the text
    end: int
    text: str


def _load_user_dicts() -> None:
    import jieba

    for path in sorted(Path(JIEBA_DICT_DIR).glob("*.txt")):
        jieba.load_userdict(str(path))


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _pipeline() -> tuple[Any, Any]:
    import spacy
    from spacy.matcher import Matcher

    _load_user_dicts()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    m = Matcher(nlp.vocab)
    digits4 = {"TEXT": {"REGEX": r"^\d{4}$"}}
    sep = {"TEXT": {"IN": ["-", " ", "—"]}, "OP": "?"}
    joiner = {"TEXT": {"IN": ["是", "为", ":", "：", "是:", "是：", "号", "码"]}, "OP": "*"}
    m.add(
        "PHONE",
        [
            [{"TEXT": {"REGEX": r"^(\+?86)?1[3-9]\d{9}$"}}],
            [{"TEXT": {"REGEX": r"^(\+?86)?1[3-9]\d$"}}, sep, digits4, sep, digits4],
            [{"TEXT": {"REGEX": r"^0\d{2,3}$"}}, {"TEXT": "-"}, {"TEXT": {"REGEX": r"^\d{7,8}$"}}],
        ],
        greedy="LONGEST",
    )
    m.add(
        "PHONE_LAST4",
        [
            [{"TEXT": {"IN": LAST4_CUES}}, joiner, digits4],
            [
                {"TEXT": {"IN": ["后", "末"]}},
                {"TEXT": {"IN": ["四位", "4位", "4", "四"]}},
                {"TEXT": "位", "OP": "?"},
                joiner,
                digits4,
            ],
            [
                {"LOWER": "last"},
                {"LOWER": {"IN": ["four", "4"]}},
                {"LOWER": {"IN": ["digits", "digit", "numbers"]}, "OP": "?"},
                {"LOWER": {"IN": ["are", "is", ":", "of"]}, "OP": "*"},
                {"IS_ALPHA": True, "OP": "?"},
                {"LOWER": {"IN": ["are", "is", ":"]}, "OP": "?"},
                digits4,
            ],
        ],
        greedy="LONGEST",
    )
    code_part = {"TEXT": {"REGEX": r"^[0-9A-Za-z]{1,8}$"}}
    m.add(
        "PICKUP_CODE",
        [
            [
                {"LOWER": {"IN": PICKUP_CUES}},
                {"TEXT": {"IN": ["码", "号"]}, "OP": "?"},
                joiner,
                code_part,
                {"TEXT": "-", "OP": "?"},
                {**code_part, "OP": "?"},
                {"TEXT": "-", "OP": "?"},
                {**code_part, "OP": "?"},
            ],
        ],
        greedy="LONGEST",
    )
    name_token = {"TEXT": {"REGEX": r"^[\u4e00-\u9fa5]{2,4}$"}}
    m.add(
        "PERSON",
        [
            [{"TEXT": {"IN": NAME_CUES}}, joiner, name_token],
            [
                {"TEXT": "我"},
                {"TEXT": {"IN": ["叫", "是"]}},
                {"TEXT": {"REGEX": r"^[\u4e00-\u9fa5]$"}},
                {"TEXT": {"REGEX": r"^[\u4e00-\u9fa5]{1,2}$"}},
                {"TEXT": {"REGEX": r"^[\u4e00-\u9fa5]{1,2}$"}, "OP": "?"},
            ],
            [{"TEXT": "我"}, {"TEXT": "叫"}, name_token],
        ],
        greedy="LONGEST",
    )
    middle = {"TEXT": {"NOT_IN": ["，", "。", "！", "？", ",", "!", "?", "；", ";", "\n"]}, "OP": "*"}
    m.add(
        "ADDRESS",
        [
            [{"TEXT": {"REGEX": ADDRESS_HEAD}}, middle, {"TEXT": {"REGEX": ADDRESS_TAIL}}],
        ],
        greedy="LONGEST",
    )
    return nlp, m


_NAME_LEAD = set(NAME_CUES) | {"我", "叫", "是", "为", ":", "：", "是:", "是："}

# Matches whose span should exclude the leading cue words (only the value is data).
_VALUE_ONLY = {"PHONE_LAST4": r"^\d{4}$", "PICKUP_CODE": None, "PERSON": r"^[\u4e00-\u9fa5]{2,4}$"}


def find_personal_data(text: str) -> list[RuleMatch]:
    """Personal data and verification answers in `text`, non-overlapping, in order."""
    if not text:
        return []
    with _lock:  # jieba and the Matcher are not guaranteed thread-safe
        nlp, matcher = _pipeline()
        doc = nlp(text[:20000])
        raw = matcher(doc)
    spans: list[RuleMatch] = []
    for match_id, start, end in raw:
        label = nlp.vocab.strings[match_id]
        span = doc[start:end]
        if label == "PHONE_LAST4":
            span = doc[end - 1 : end]
        elif label == "PERSON":
            first = start
            while first < end - 1 and doc[first].text in _NAME_LEAD:
                first += 1
            span = doc[first:end]
        elif label == "PICKUP_CODE":
            first = next(
                (
                    t.i
                    for t in span
                    if t.text[:1].isdigit() or (t.is_alpha and t.is_ascii and t.lower_ not in PICKUP_CUES)
                ),
                None,
            )
            if first is None:
                continue
            span = doc[first:end]
        spans.append(RuleMatch(label, span.start_char, span.end_char, span.text))
    # A bare 4-digit message is an answer to "last four digits of the phone?".
    stripped = text.strip()
    if not spans and len(stripped) == 4 and stripped.isdigit():
        offset = text.index(stripped)
        spans.append(RuleMatch("PHONE_LAST4", offset, offset + 4, stripped))
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    result: list[RuleMatch] = []
    for s in spans:
        if result and s.start < result[-1].end:
            continue
        result.append(s)
    return result
