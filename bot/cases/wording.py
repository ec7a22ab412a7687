"""What customers are told about their cases, in one place for the bot (answers to
"how is my claim going?") and the gateway (news when an agent changes a case or
replies, the satisfaction question): the case in plain words, what happens next and by
when. Every time promised here is a deadline stored on the case."""

from __future__ import annotations

from datetime import datetime

from bot.cases.models import Case
from bot.cases.vocabulary import CLAIM_TYPES
from bot.clock import CHINA_TZ
from bot.contract import CaseStatus, CaseType, ClaimStage, label

_BOOKINGS = {CaseType.RETURN_PICKUP.value, CaseType.REDELIVERY.value, CaseType.CALLBACK.value}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when_text(lang: str, moment: datetime, now: datetime) -> str:
    """zh "今天 18:00" / "明天 09:00" / "12月2日 09:00"; en "today 18:00" / "Dec 2, 09:00" (Beijing time)."""
    local, today = moment.astimezone(CHINA_TZ), now.astimezone(CHINA_TZ).date()
    clock = local.strftime("%H:%M")
    delta = (local.date() - today).days
    if lang == "en":
        day = {0: "today", 1: "tomorrow"}.get(delta) or f"{_MONTHS_EN[local.month - 1]} {local.day}"
        return f"{day} {clock}" if delta in (0, 1) else f"{day}, {clock}"
    day = {0: "今天", 1: "明天", 2: "后天"}.get(delta) or f"{local.month}月{local.day}日"
    return f"{day} {clock}"


def by_text(lang: str, moment: datetime, now: datetime) -> str:
    """A deadline: zh "今天 18:00前", en "by today 18:00"."""
    return f"by {when_text(lang, moment, now)}" if lang == "en" else f"{when_text(lang, moment, now)}前"


def case_name(case: Case, lang: str) -> str:
    """zh "破损理赔（编号 CS20261130-0042）", en "damage claim CS20261130-0042"."""
    kind = label("case_types", case.type, lang)
    return f"{kind} {case.reference}" if lang == "en" else f"{kind}（编号 {case.reference}）"


def status_words(case: Case, lang: str) -> str:
    words = label("case_statuses", case.status, lang)
    if case.stage and case.type in {t.value for t in CLAIM_TYPES} and case.status != CaseStatus.CLOSED.value:
        stage = label("claim_stages", case.stage, lang)
        return f"{words} ({stage})" if lang == "en" else f"{words}（{stage}）"
    return words


def _window(case: Case, lang: str, now: datetime) -> str:
    if case.window_start is None or case.window_end is None:
        return ""
    end = case.window_end.astimezone(CHINA_TZ).strftime("%H:%M")
    return f"{when_text(lang, case.window_start, now)}–{end}"


def next_step(case: Case, lang: str, now: datetime) -> str:
    """What happens next and by when (or what we need from the customer)."""
    en = lang == "en"
    status = case.status
    if status == CaseStatus.WAITING_CUSTOMER.value:
        return (
            "We need a little more information from you — please see our colleague's message and reply here; "
            "we continue as soon as we have it."
            if en
            else "需要您补充一些信息：请查看专员给您的留言并在这里回复，收到后我们马上继续处理。"
        )
    if status == CaseStatus.RESOLVED.value:
        remedy = label("remedies", case.remedy, lang) if case.remedy else ""
        if en:
            return (
                f"It has been resolved{f' ({remedy})' if remedy else ''}. If anything is still not right, just tell me."
            )
        return f"已处理完成{f'（处理方式：{remedy}）' if remedy else ''}。如果还有问题，直接告诉我就好。"
    if status == CaseStatus.CLOSED.value:
        return (
            "It is closed. If you need anything else about it, just tell me."
            if en
            else "该事项已关闭。如还需要帮助，直接告诉我就好。"
        )
    if case.type in _BOOKINGS and case.window_start is not None:
        window = _window(case, lang, now)
        if case.type == CaseType.CALLBACK.value:
            return f"We will call you {window} (Beijing time)." if en else f"我们会在{window}（北京时间）给您回电。"
        return (
            f"It is booked for {window}; the courier calls before arriving."
            if en
            else f"已预约{window}，快递员上门前会先电话联系您。"
        )
    if case.first_response_at is None and case.respond_by < case.resolve_by:
        deadline = by_text(lang, case.respond_by, now)
        return f"A specialist will contact you {deadline}." if en else f"专员会在{deadline}与您联系。"
    deadline = by_text(lang, case.resolve_by, now)
    if case.type in {t.value for t in CLAIM_TYPES} and case.stage == ClaimStage.CUSTOMER_CONFIRMATION.value:
        return (
            "The compensation proposal is waiting for your confirmation." if en else "赔偿方案已经给到您，等待您确认。"
        )
    return f"We expect to finish {deadline}." if en else f"预计{deadline}处理完成。"


def status_answer(case: Case, lang: str, now: datetime, *, with_parcels: bool = True) -> str:
    """The customer's question "how is it going?" answered from the case."""
    parcels = ", ".join(case.tracking_numbers) if with_parcels and case.parcels else ""
    if lang == "en":
        about = f" for {parcels}" if parcels else ""
        return f"Your {case_name(case, lang)}{about} is {status_words(case, lang)}. {next_step(case, lang, now)}"
    about = f"（运单 {parcels}）" if parcels else ""
    return f"您的{case_name(case, lang)}{about}目前{status_words(case, lang)}。{next_step(case, lang, now)}"


def update_notice(case: Case, lang: str, now: datetime) -> str:
    """News pushed to the customer when an agent changes the case."""
    if lang == "en":
        return f"Update on your {case_name(case, lang)}: {status_words(case, lang)}. {next_step(case, lang, now)}"
    return f"您的{case_name(case, lang)}有新进展：{status_words(case, lang)}。{next_step(case, lang, now)}"


def reply_notice(case: Case, lang: str, text: str) -> str:
    """An agent's reply about a case, as the customer reads it."""
    if lang == "en":
        return f"About your {case_name(case, lang)}: {text}"
    return f"关于您的{case_name(case, lang)}：{text}"


def csat_question(case: Case, lang: str) -> str:
    if lang == "en":
        return (
            f"Your {case_name(case, lang)} has been resolved. How satisfied are you with how we handled it "
            "(1-5, 5 = very satisfied)?"
        )
    return f"您的{case_name(case, lang)}已处理完成。请为本次处理打分（1-5 分，5 分为非常满意）："


def csat_thanks(lang: str) -> str:
    return "Thank you for your rating!" if lang == "en" else "感谢您的评分，祝您生活愉快！"


def upload_invitation(case: Case, lang: str, url: str, minutes: int, wechat: bool = False) -> str:
    """The signed evidence upload link, with how long it works."""
    direct = ""
    if wechat:
        direct = (
            " You can also send photos or videos right here in the chat."
            if lang == "en"
            else "也可以直接在对话里发送图片或视频。"
        )
    if lang == "en":
        return f"📎 Upload photos, videos or documents for {case.reference}: {url} (the link works for {minutes} minutes).{direct}"
    return f"📎 上传照片、视频或凭证（{case.reference}）：{url}（链接{minutes}分钟内有效）。{direct}"
