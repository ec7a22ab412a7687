"""Customers follow their cases: "进度呢" / "我的理赔怎么样了" / a reference / "my claim
status" are answered from the case (status in plain words, next step and by when); a new
evidence link on request; "please call me back" after verification, with the number and a
window, becomes a callback case."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.cases import service
from bot.db import session_scope
from tests.actions.conftest import Conversation, cases_in_store

UTC = timezone.utc


def announced(turn) -> list[dict]:
    return [c for m in turn.messages for c in (m.get("custom") or {}).get("cases", [])]


def test_progress_in_the_same_conversation_is_answered_from_the_case(conv: Conversation, store, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    conv.say("SF1409876543210 收到的东西摔坏了", "damaged_goods")
    (case,) = cases_in_store(store, type="damage_claim")
    turn = conv.say("进度呢", "track_parcel")
    assert f"您的破损理赔（编号 {case.reference}）（运单 SF1409876543210）目前已受理，待处理（受理登记）" in turn.text
    assert "专员会在今天 11:00前与您联系" in turn.text
    # An agent moves it on: the answer follows the case.
    with session_scope(store) as session:
        stored = service.get_case(session, case.id)
        service.record_contact(stored, datetime(2026, 11, 23, 2, 30, tzinfo=UTC))
        service.change_status(
            session,
            stored,
            "in_progress",
            service.SYSTEM,
            datetime(2026, 11, 23, 2, 30, tzinfo=UTC),
            stage="assessment",
        )
    turn = conv.say("我的理赔怎么样了", "track_parcel")
    assert "目前处理中（初步评估）" in turn.text and "预计明天 10:00前处理完成" in turn.text


def test_english_and_by_reference_from_another_conversation(conv: Conversation, store, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    conv.say("my parcel SF1409876543210 arrived damaged", "damaged_goods")
    (case,) = cases_in_store(store)
    turn = conv.say("my claim status", "track_parcel")
    assert f"Your damage claim {case.reference} for SF1409876543210 is received, waiting to be picked up" in turn.text
    assert "A specialist will contact you by today 11:00." in turn.text
    turn = conv.say(f"{case.reference.lower()} progress", "track_parcel")  # by reference, in its conversation
    assert f"Your damage claim {case.reference} for SF1409876543210 is received" in turn.text
    # Another conversation learns nothing, not even whether the reference exists
    # (tests/actions/test_case_access.py).
    turn = Conversation().say(f"{case.reference.lower()} 进度", "track_parcel")
    assert "已受理" not in turn.text and "SF1409876543210" not in turn.text


def test_without_cases_progress_questions_are_tracking_questions(conv: Conversation, store) -> None:
    turn = conv.say("我的理赔怎么样了", "track_parcel")
    assert "运单号" in turn.text  # nothing registered here: the usual question for a number
    turn = conv.say("SF1402345678901 进度", "track_parcel")
    assert "SF1402345678901" in turn.text and "登记" not in turn.text  # a number given: tracking


def test_the_kind_named_picks_the_case(conv: Conversation, store, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    conv.say("SF1409876543210 收到的东西摔坏了", "damaged_goods")
    conv.say("751234567890 好几天没动静了", "lost_parcel")
    both = conv.say("进度呢", "track_parcel").text
    assert "破损理赔" in both and "丢件调查" in both
    only = conv.say("丢件调查有结果了吗", "track_parcel").text
    assert "丢件调查" in only and "破损理赔" not in only


def test_a_new_upload_link_on_request(conv: Conversation, store, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    conv.say("SF1409876543210 破损了", "damaged_goods")
    turn = conv.say("上传链接失效了", "track_parcel")
    (item,) = announced(turn)
    assert item["upload"] is True and item["type"] == "damage_claim" and "接下来的链接" in turn.text


def test_callback_needs_verification_then_number_and_window(conv: Conversation, store) -> None:
    turn = conv.say("请给我回个电话", "request_human")
    assert "运单号" in turn.text and turn.handoff is None  # about which parcel?
    turn = conv.say("YT1230000000001 请给我回电话", "request_human")
    assert "后4位" in turn.text and conv.slots["verification_purpose"] == "callback"
    turn = conv.say("尾号3333", "provide_phone_last4")
    assert "请告诉我方便接听的手机号码" in turn.text and conv.slots["awaiting"] == "callback_phone"
    turn = conv.say("打这个 18600001111", "provide_phone_last4")  # understood as digits: still the number
    assert "已记下号码 186****1111" in turn.text and turn.buttons
    (case,) = cases_in_store(store, type="callback")
    assert case.details["phone"] == "18600001111" and "18600001111" not in case.summary
    turn = conv.say("明天上午", "choose_time_window", entities=[{"entity": "time_window", "value": "tomorrow_am"}])
    assert f"已为您预约明天 11月24日（周二） 09:00–12:00回电，编号 {case.reference}" in turn.text
    assert "186****1111" in turn.text
    (case,) = cases_in_store(store, type="callback")
    assert case.window_end == datetime(2026, 11, 24, 4, 0, tzinfo=UTC) and case.due_at == case.window_end


def test_a_phone_number_out_of_context_is_not_kept(conv: Conversation, store) -> None:
    conv.say("13812345678", "nlu_fallback")
    assert cases_in_store(store) == []


def test_the_awaited_number_is_taken_whatever_the_message_is_understood_as(conv: Conversation, store) -> None:
    conv.say("请给我回个电话 YT1230000000001", "request_human")
    conv.say("尾号3333", "provide_phone_last4")
    turn = conv.say("好的 你们打 139-1234-5678 吧", "affirm")
    assert "已记下号码 139****5678" in turn.text
    assert cases_in_store(store, type="callback")[0].details["phone"] == "13912345678"


def test_case_deadlines_move_with_the_sla(conv: Conversation, store, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    monkeypatch.setenv("CASE_SLA", "damage_claim=30m/2d")
    turn = conv.say("SF1409876543210 收到的东西摔坏了", "damaged_goods")
    assert "专员会在今天 10:30前与您联系" in turn.text
    (case,) = cases_in_store(store)
    assert case.resolve_by - case.created_at == timedelta(days=2)


def test_an_address_change_before_delivery_is_an_address_change_case(conv: Conversation, store) -> None:
    conv.say("SF1402345678901 地址写错了要改", "change_address")
    conv.say("5678", "provide_phone_last4")
    turn = conv.say("新地址是上海市徐汇区漕溪北路88号3楼", "inform_address")
    (case,) = cases_in_store(store)
    assert case.type == "address_change" and case.details["new_address"] == "上海市徐汇区漕溪北路88号3楼"
    assert f"编号 {case.reference}" in turn.text and "2小时内生效" in turn.text
    assert case.resolve_by - case.created_at == timedelta(hours=2)  # the policy's 2 h is the case's due time
    (item,) = announced(turn)
    assert item["upload"] is False


def test_customs_documents_become_a_case_with_an_upload_link(conv: Conversation, store) -> None:
    turn = conv.say("1Z999AA10123456784 关税怎么交", "customs_duties")
    (case,) = cases_in_store(store, type="customs_documents")
    assert case.details["documents"] == ["收件人身份证正反面照片", "购物订单截图"]
    assert f"编号 {case.reference}" in turn.text
    (item,) = announced(turn)
    assert item["upload"] is True
    conv.say("1Z999AA10123456784 关税怎么交", "customs_duties")
    assert len(cases_in_store(store, type="customs_documents")) == 1  # asked again: the same case


def test_a_reference_in_any_message_is_answered_from_its_case(conv: Conversation, store, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    conv.say("SF1409876543210 收到的东西摔坏了", "damaged_goods")
    (case,) = cases_in_store(store)
    # Understood as a tracking question (or not at all): the reference still decides.
    for intent in ("track_parcel", "nlu_fallback", "provide_tracking_number"):
        turn = conv.say(f"{case.reference} 怎么样了", intent)
        assert case.reference in turn.text and "已受理，待处理" in turn.text, intent
    turn = Conversation().say(f"{case.reference} 转人工", "request_human")
    assert turn.handoff is not None
