"""Finding parcels without a tracking number: the recipient's phone number plus a check
(the recipient's last name, or the order id), then a masked list to choose from.

A form over the `awaiting` slot: the bot asks for what is missing (phone, then the
check) and any later message holding it continues the lookup whatever the NLU saw
(AWAITED_INPUT), as does the choice from the list ("1", "第二个", the last 4 digits).

Privacy: the phone alone proves nothing. Only parcels whose recipient passes the check
are listed, each masked (number partly hidden, cities only, status); a wrong check and
an unknown phone get the same answer. Every check is an attempt in bot.security's
lockout (per phone number and per client, all conversations and channels) and counts
in the conversation (MAX_VERIFICATION_ATTEMPTS); then only a human can help. Phone
numbers are masked in every log line.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.exc import SQLAlchemyError

from actions import conversation, db, guard, texts
from actions.base import AWAITED_INPUT, LOOKUP_REQUEST_HANDLER, AwaitedInput, Context, ParcelAction
from actions.db import StoreError
from actions.handoff import hand_off
from actions.topics import TOPICS, answer_topic
from bot.contract import HandoffReason
from bot.pii import mask_phone
from bot.security import CLIENT, PHONE, Subject
from bot.store.models import Shipment
from bot.store.tracking_numbers import normalize

logger = logging.getLogger(__name__)

LOOKUP_DETAILS = "lookup_details"  # waiting for the phone number and/or the check
LOOKUP_CHOICE = "lookup_choice"  # waiting for a choice from the listed parcels
MAX_LISTED = 5

# Mainland mobile (optionally +86 / 0086, spaces or dashes between groups), or an
# international number written with "+".
_MOBILE = re.compile(r"(?<![\dA-Za-z])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?!\d)")
_INTERNATIONAL = re.compile(r"(?<![\dA-Za-z])\+(\d[\d\s-]{6,16}\d)(?!\d)")
_ORDER_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,39}")
_CJK = r"\u4e00-\u9fff"

COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "司徒", "尉迟", "公孙", "夏侯",
    "端木", "宇文", "长孙", "澹台", "呼延", "轩辕", "南宫", "独孤", "西门", "申屠", "太史", "欧",
)  # fmt: skip
# Pinyin of common surnames, for "surname He" (English speakers with a Chinese recipient).
SURNAME_PINYIN: dict[str, str] = {
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang",
    "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu",
    "郭": "guo", "何": "he", "高": "gao", "林": "lin", "罗": "luo", "郑": "zheng", "梁": "liang",
    "谢": "xie", "宋": "song", "唐": "tang", "许": "xu", "韩": "han", "冯": "feng", "邓": "deng",
    "曹": "cao", "彭": "peng", "曾": "zeng", "肖": "xiao", "田": "tian", "董": "dong", "袁": "yuan",
    "潘": "pan", "于": "yu", "蒋": "jiang", "蔡": "cai", "余": "yu", "杜": "du", "叶": "ye", "程": "cheng",
    "苏": "su", "魏": "wei", "吕": "lv", "丁": "ding", "任": "ren", "沈": "shen", "姚": "yao", "卢": "lu",
    "姜": "jiang", "崔": "cui", "钟": "zhong", "谭": "tan", "陆": "lu", "汪": "wang", "范": "fan",
    "金": "jin", "石": "shi", "廖": "liao", "贾": "jia", "夏": "xia", "韦": "wei", "付": "fu", "方": "fang",
    "白": "bai", "邹": "zou", "孟": "meng", "熊": "xiong", "秦": "qin", "邱": "qiu", "江": "jiang",
    "尹": "yin", "薛": "xue", "闫": "yan", "段": "duan", "雷": "lei", "侯": "hou", "龙": "long",
    "史": "shi", "陶": "tao", "黎": "li", "贺": "he", "顾": "gu", "毛": "mao", "郝": "hao", "龚": "gong",
    "邵": "shao", "万": "wan", "钱": "qian", "严": "yan", "覃": "qin", "武": "wu", "戴": "dai", "莫": "mo",
    "孔": "kong", "向": "xiang", "汤": "tang", "凌": "ling", "欧阳": "ouyang", "司马": "sima",
    "上官": "shangguan", "诸葛": "zhuge", "东方": "dongfang", "慕容": "murong", "司徒": "situ",
}  # fmt: skip
_ENGLISH_SURNAME = re.compile(r"\b(?:sur ?name|last name|family name)\s*(?:is\s*)?[:：]?\s*([A-Za-z][A-Za-z'-]+)", re.I)
_SURNAME_CUE = re.compile(rf"姓\s*([{_CJK}]{{1,2}})")
_FULL_NAME_CUE = re.compile(rf"(?:姓名|名字|收件人|收货人)\s*(?:是|为|叫|:|：)\s*([{_CJK}]{{2,4}})")
_NOT_A_SURNAME = set("我你他她它的是了吗呢啊吧查件号码手机电话快递包裹订单没有帮下一个这那就只在")


@dataclass(frozen=True)
class LookupRequest:
    phone: str | None  # digits
    surname: str | None  # Chinese characters or a Latin name
    order_ids: tuple[str, ...]


def phone_in(text: str) -> str | None:
    """The recipient phone in a message, as digits (mainland mobile without +86)."""
    text = unicodedata.normalize("NFKC", text or "")
    match = _MOBILE.search(text)
    if match:
        return re.sub(r"\D", "", match.group(1))
    match = _INTERNATIONAL.search(text)
    return re.sub(r"\D", "", match.group(1)) if match else None


def _without_phone(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = _MOBILE.sub(" ", text)
    return _INTERNATIONAL.sub(" ", text)


def surname_in(text: str) -> str | None:
    """The recipient's last name in a message: "姓何", "收件人是欧阳静", "罗 13607551234",
    "欧阳", "surname He"."""
    rest = _without_phone(text)
    english = _ENGLISH_SURNAME.search(rest)
    if english:
        return english.group(1)
    for pattern in (_FULL_NAME_CUE, _SURNAME_CUE):
        for match in pattern.finditer(rest):
            surname = _leading_surname(match.group(1))
            if surname:
                return surname
    for word in re.findall(rf"[{_CJK}]+", rest):
        for compound in COMPOUND_SURNAMES[:-1]:
            if word.startswith(compound) and len(word) <= 3:
                return compound
        if len(word) == 1 and word in SURNAME_PINYIN and word not in _NOT_A_SURNAME:
            return word
    return None


def _leading_surname(name: str) -> str | None:
    for compound in COMPOUND_SURNAMES[:-1]:
        if name.startswith(compound):
            return compound
    return name[0] if name and name[0] not in _NOT_A_SURNAME else None


def order_ids_in(text: str) -> tuple[str, ...]:
    """Tokens that may be an order id (letters/digits with at least 4 digits), normalised."""
    rest = _without_phone(text)
    found: list[str] = []
    for token in _ORDER_TOKEN.findall(rest):
        key = normalize(token)
        if sum(c.isdigit() for c in key) >= 4 and key not in found:
            found.append(key)
    return tuple(found)


def request_in(text: str, remembered_phone: str | None) -> LookupRequest:
    return LookupRequest(phone_in(text) or remembered_phone, surname_in(text), order_ids_in(text))


def recipient_passes(shipment: Shipment, surname: str | None, order_ids: tuple[str, ...]) -> bool:
    """The check: the recipient's last name or the parcel's order id."""
    if order_ids and shipment.order_id and normalize(shipment.order_id) in order_ids:
        return True
    name = (shipment.recipient_name or "").strip()
    if not surname or not name:
        return False
    if re.fullmatch(rf"[{_CJK}]+", surname):
        return name.startswith(surname)
    wanted = surname.lower()
    latin_parts = [part.lower() for part in re.findall(r"[A-Za-z'-]+", name)]
    if latin_parts:
        return wanted in (latin_parts[0], latin_parts[-1])
    for length in (2, 1):
        if SURNAME_PINYIN.get(name[:length]) == wanted and (length == 1 or name[:2] in COMPOUND_SURNAMES):
            return True
    return False


# --------------------------------------------------------------------------- wording


def mask_number(number: str) -> str:
    """SF1609283746512 -> SF16*******6512: enough to recognise one's own parcel, not to track it."""
    key = normalize(number)
    if len(key) <= 8:
        return key[:2] + "*" * max(1, len(key) - 6) + key[-4:]
    return key[:4] + "*" * (len(key) - 8) + key[-4:]


def city(place: str | None) -> str:
    """The city of an address or place (no district, street or number)."""
    place = (place or "").strip()
    match = re.match(rf"^([{_CJK}]{{2,6}}?(?:市|州|盟|地区))", place)
    if match:
        return match.group(1)
    if "," in place:  # "Edinburgh, UK"
        return place.split(",")[0].strip()
    match = re.match(rf"^([{_CJK}]{{2,3}}?)(?:[{_CJK}]+(?:区|县|镇|乡))", place)
    return match.group(1) if match else place[:12]


def listed_item(lang: str, index: int, shipment: Shipment) -> str:
    from actions import parcels

    return texts.t(
        lang,
        "lookup_item",
        index=index,
        carrier=parcels.carrier_name(shipment),
        number=mask_number(shipment.tracking_number),
        origin=city(shipment.origin),
        destination=city(shipment.destination),
        status=texts.status_label(lang, shipment.status),
    )


# --------------------------------------------------------------------------- the form


def find_by_phone(ctx: Context) -> list[EventType]:
    remembered = ctx.slot("lookup_phone")
    request = request_in(conversation.latest_text(ctx.tracker), str(remembered) if remembered else None)
    if request.phone is None:
        ctx.say(ctx.t("lookup_ask_phone"))
        return [SlotSet("awaiting", LOOKUP_DETAILS)]
    events: list[EventType] = [SlotSet("lookup_phone", request.phone)]
    masked = mask_phone(request.phone)
    if request.surname is None and not request.order_ids:
        ctx.say(ctx.t("lookup_ask_check", phone=masked))
        return [*events, SlotSet("awaiting", LOOKUP_DETAILS)]
    client = Subject(CLIENT, guard.client_key(ctx.tracker))
    try:
        lockout = guard.lockout(ctx.settings)
        ticket = lockout.begin([Subject(PHONE, request.phone), client])  # a failure until proven
    except SQLAlchemyError as exc:
        raise StoreError(f"lookup lockout error: {type(exc).__name__}") from exc
    if ticket.locked:
        logger.info("lookup by phone %s refused: locked after repeated failures", masked)
        return [*events, *_give_up(ctx, "lookup_locked")]
    matches = [
        s
        for s in db.shipments_for_recipient_phone(request.phone)
        if recipient_passes(s, request.surname, request.order_ids)
    ]
    if not matches:
        return [*events, *_failed(ctx, masked)]
    try:
        lockout.succeeded(ticket)
    except SQLAlchemyError as exc:
        raise StoreError(f"lookup lockout error: {type(exc).__name__}") from exc
    logger.info("lookup by phone %s: %d parcel(s) listed", masked, len(matches))
    return [*events, *_list(ctx, matches[:MAX_LISTED])]


def _list(ctx: Context, shipments: list[Shipment]) -> list[EventType]:
    items = "\n".join(listed_item(ctx.lang, i, s) for i, s in enumerate(shipments, start=1))
    keys = [s.tracking_key for s in shipments]
    events: list[EventType] = [SlotSet("lookup_failures", 0), SlotSet("lookup_choices", keys)]
    if len(shipments) == 1:
        ctx.say(ctx.t("lookup_found_one", items=items))
        # "它啥时候到": the one parcel found is the one talked about.
        return [*events, SlotSet("awaiting", LOOKUP_CHOICE), *conversation.remember(ctx.tracker, keys)]
    ctx.say(ctx.t("lookup_found_many", count=len(shipments), items=items))
    return [*events, SlotSet("awaiting", LOOKUP_CHOICE)]


def _failed(ctx: Context, masked_phone: str) -> list[EventType]:
    """Unknown phone or wrong check: one answer for both (nothing is revealed)."""
    failures = int(ctx.slot("lookup_failures") or 0) + 1
    limit = max(1, ctx.settings.max_verification_attempts)
    logger.info("lookup by phone %s: no parcel passes the check (%d/%d)", masked_phone, failures, limit)
    if failures >= limit:
        return [SlotSet("lookup_failures", failures), *_give_up(ctx, "lookup_too_many")]
    ctx.say(ctx.t("lookup_not_found", phone=masked_phone, left=limit - failures))
    return [SlotSet("lookup_failures", failures), SlotSet("awaiting", LOOKUP_DETAILS)]


def _give_up(ctx: Context, lead: str) -> list[EventType]:
    events: list[EventType] = [SlotSet("awaiting", None), SlotSet("lookup_choices", None)]
    return events + hand_off(ctx, HandoffReason.VERIFICATION_FAILED, lead=lead)


# --------------------------------------------------------------------------- choosing

_CHINESE_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_ENGLISH_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}


def _choices(ctx: Context) -> list[str]:
    value = ctx.slot("lookup_choices") or []
    return [str(v) for v in value] if isinstance(value, list) else []


def chosen_key(text: str, choices: list[str]) -> str | None:
    """The parcel chosen: its position ("1", "第二个", "the second one") or its last 4 digits."""
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    index: int | None = None
    match = re.fullmatch(r"(?:第|no\.?\s*|#)?\s*([1-9])\s*(?:个|号|件|\.|。)?\s*(?:吧|这个)?", text)
    if match:
        index = int(match.group(1))
    else:
        match = re.search(r"第([一二两三四五])(?:个|件)", text)
        if match:
            index = _CHINESE_ORDINALS[match.group(1)]
        else:
            word = next((w for w in _ENGLISH_ORDINALS if re.search(rf"\b{w}\b", text)), None)
            index = _ENGLISH_ORDINALS[word] if word else None
    if index is not None:
        return choices[index - 1] if 1 <= index <= len(choices) else None
    digits = re.findall(r"(?<!\d)(\d{4})(?!\d)", text)
    tails = [key for key in choices if digits and key[-4:] == digits[0]]
    return tails[0] if len(tails) == 1 else None


def _accepts_choice(ctx: Context) -> bool:
    return chosen_key(conversation.latest_text(ctx.tracker), _choices(ctx)) is not None


def _answer_choice(ctx: Context) -> list[EventType]:
    key = chosen_key(conversation.latest_text(ctx.tracker), _choices(ctx))
    if key is None:
        ctx.say(ctx.t("lookup_choose_again", count=len(_choices(ctx))))
        return []
    pending = ctx.slot("pending_topic")
    topic_name = pending if pending in TOPICS else conversation.TRACK
    return [SlotSet("lookup_choices", None), *answer_topic(ctx, topic_name, [key])]


def _accepts_details(ctx: Context) -> bool:
    text = conversation.latest_text(ctx.tracker)
    request = request_in(text, None)
    return (
        request.phone is not None or request.surname is not None or bool(request.order_ids and ctx.slot("lookup_phone"))
    )


# "我没有单号 能用手机号查吗", "单号找不着了 电话159…", "lost my tracking number … phone": the
# customer has no number and offers the phone: whatever the NLU understood, the lookup starts.
_NO_NUMBER = re.compile(
    r"(?:没有|没|冇|無|无|忘了|忘记|找不到|找不着|不知道|丢了|弄丢)[^,，。.!?？]{0,6}(?:运单|快递单|单号|單號|运单号)"
    r"|(?:运单号|快递单号|单号|單號)[^,，。.!?？]{0,4}(?:没有|没了|找不到|找不着|不知道|丢了|忘了|搵唔到)"
    r"|(?:lost|don'?t have|do not have|no|without)\s+(?:my\s+|the\s+|a\s+)?tracking",
    re.I,
)
_BY_PHONE = re.compile(
    r"(?:用|按|通过|拿)?(?:手机号|手机|电话号码|电话|手機|電話)(?:码)?(?:能|可以|可不可以)?查|by (?:my )?phone", re.I
)


def wants_lookup(ctx: Context) -> bool:
    """The message asks to find parcels by phone: it says there is no tracking number and
    offers a phone (or asks for a phone lookup), or gives a phone together with a check."""
    text = conversation.latest_text(ctx.tracker)
    request = request_in(text, None)
    mentions_phone = request.phone is not None or bool(re.search(r"手机|电话|手機|電話|phone", text, re.I))
    if _NO_NUMBER.search(text) and mentions_phone:
        return True
    if _BY_PHONE.search(text) and not conversation.numbers_in_message(ctx.tracker):
        return True
    return request.phone is not None and request.surname is not None


AWAITED_INPUT[LOOKUP_DETAILS] = AwaitedInput(_accepts_details, find_by_phone)
LOOKUP_REQUEST_HANDLER.append(AwaitedInput(wants_lookup, find_by_phone))
AWAITED_INPUT[LOOKUP_CHOICE] = AwaitedInput(_accepts_choice, _answer_choice)


class ActionFindByPhone(ParcelAction):
    """No tracking number: find the parcels by the recipient's phone plus a check."""

    def name(self) -> str:
        return "action_find_by_phone"

    def handle(self, ctx: Context) -> list[EventType]:
        return find_by_phone(ctx)
