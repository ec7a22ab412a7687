"""Parcel problems: signed not received, verification, damage, loss, failed
delivery, delivery options and address change."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from tests.actions.conftest import Conversation, cases_in_store

UTC = timezone.utc
PICKUP_CODE = "8-2-3341"
LOCKER_RECIPIENT = ("李娜", "13987654321", "望京花园东区5号楼2单元301室")


def verified(conv: Conversation, key: str) -> bool:
    """Whether the conversation holds the proof (a grant in the store, not a slot)."""
    from actions import guard
    from bot.config import load_settings
    from bot.security import PARCEL, Subject

    return guard.grants(load_settings()).check(conv.sender_id, Subject(PARCEL, key))


def _no_personal_data(text: str) -> None:
    for secret in (PICKUP_CODE, *LOCKER_RECIPIENT, "4321"):
        assert secret not in text, secret


# --------------------------------------------------------------------------- signed, not received


def test_signed_not_received_explains_where_and_how_without_personal_data(conv: Conversation) -> None:
    turn = conv.say("显示签收了但我没收到 773123456789012", "signed_not_received")
    text = turn.text
    assert "已于昨天 15:20签收，签收方式：快递柜，地点：丰巢快递柜(望京花园东区店)" in text
    assert "收件人手机号的后4位" in text
    assert "快递柜或驿站" in text and "家人" in text and "邻居" in text and "前台" in text
    assert "未收到件调查" in text
    _no_personal_data(text)
    assert conv.slots["verification_purpose"] == "pickup_code"
    assert conv.slots["awaiting"] == "non_receipt_confirm"


def test_pickup_code_only_after_the_right_phone_digits(conv: Conversation) -> None:
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    wrong = conv.say("尾号1111", "provide_phone_last4", entities=[{"entity": "phone_last4", "value": "1111"}])
    assert "不一致" in wrong.text and "还可以再试 2 次" in wrong.text
    _no_personal_data(wrong.text)
    assert conv.slots["verification_attempts"] == 1
    assert not verified(conv, "773123456789012")
    right = conv.say("4321", "provide_phone_last4")
    assert "验证通过" in right.text
    assert f"取件码：{PICKUP_CODE}" in right.text
    assert "存放位置：丰巢快递柜(望京花园东区店)" in right.text
    assert verified(conv, "773123456789012")
    assert conv.slots["verification_attempts"] == 0
    assert conv.slots["verification_purpose"] is None
    # once verified, asking again shows the code directly
    again = conv.say("取件码再发我一下，还是没收到", "signed_not_received")
    assert f"取件码：{PICKUP_CODE}" in again.text


def test_too_many_wrong_digits_hand_off_without_revealing_the_right_ones(conv: Conversation) -> None:
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    first = conv.say("1111", "provide_phone_last4")
    second = conv.say("尾号是2222", "provide_phone_last4")
    assert "还可以再试 1 次" in second.text
    third = conv.say("5678", "provide_phone_last4")
    handoff = third.handoff
    assert handoff["reason"] == "verification_failed"
    assert handoff["tracking_numbers"] == ["773123456789012"]
    assert conv.slots["handed_off"] is True
    for turn in (first, second, third):
        _no_personal_data(turn.text)
        _no_personal_data(str(turn.handoff or ""))
    assert PICKUP_CODE not in conv.all_text


def test_the_attempt_limit_comes_from_settings(conv: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_VERIFICATION_ATTEMPTS", "1")
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    assert conv.say("1111", "provide_phone_last4").handoff["reason"] == "verification_failed"


def test_digits_inside_a_tracking_number_are_not_an_answer(conv: Conversation) -> None:
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    turn = conv.say("773123456789012", "provide_phone_last4")
    assert "后4位数字" in turn.text
    assert conv.slots["verification_attempts"] == 0


def test_confirming_the_investigation_writes_one_non_receipt_claim(conv: Conversation, store) -> None:
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    turn = conv.say("都找过了，还是没有", "affirm")
    claims = cases_in_store(store, type="not_received")
    assert len(claims) == 1
    claim = claims[0]
    assert claim.tracking_numbers == ["773123456789012"]
    assert claim.conversation_ids == [conv.sender_id]
    assert claim.status == "open"
    assert f"编号 {claim.reference}" in turn.text
    assert conv.slots["awaiting"] is None
    # asking again does not open a second one
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    again = conv.say("是", "affirm")
    assert "已经有一个在处理中的未收到件调查" in again.text and claim.reference in again.text
    assert len(cases_in_store(store, type="not_received")) == 1


def test_declining_the_investigation(conv: Conversation, store) -> None:
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    turn = conv.say("不用，我再找找", "deny")
    assert "您先找找看" in turn.text
    assert cases_in_store(store) == []


def test_signed_not_received_on_a_parcel_still_travelling(conv: Conversation) -> None:
    turn = conv.say("说签收了但没收到 SF1402345678901", "signed_not_received")
    assert "还没有签收记录" in turn.text and "运输中" in turn.text
    assert conv.slots["awaiting"] is None


def test_signed_not_received_in_english(conv: Conversation) -> None:
    turn = conv.say("it says delivered but I never got 773123456789012", "signed_not_received")
    assert "delivered yesterday at 15:20 (parcel locker, at 丰巢快递柜(望京花园东区店))" in turn.text
    assert "last 4 digits of the recipient's phone number" in turn.text
    _no_personal_data(turn.text)
    turn = conv.say("last 4 digits are 4321", "provide_phone_last4")
    assert f"Pickup code: {PICKUP_CODE}" in turn.text


# --------------------------------------------------------------------------- damaged


def test_damage_gives_the_checklist_and_writes_a_claim(conv: Conversation, store, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "10000")  # this parcel (5000) stays with the bot
    turn = conv.say("SF1409876543210 收到的东西摔坏了", "damaged_goods")
    for item in ("外包装照片", "内物照片", "开箱视频", "购买凭证", "保留原包装"):  # the seeds' full list
        assert item in turn.text
    assert "专员会在今天 11:00前与您联系" in turn.text  # contacted within 1 h (the case's due time)
    assert "我们这边也有记录：分拣时外包装受挤压破损" in turn.text
    claims = cases_in_store(store, type="damage_claim")
    assert len(claims) == 1
    assert claims[0].tracking_numbers == ["SF1409876543210"]
    assert claims[0].summary.startswith("damaged parcel: SF1409876543210")
    assert f"编号 {claims[0].reference}" in turn.text
    assert turn.handoff is None


def test_damage_above_the_claim_threshold_goes_to_a_specialist(conv: Conversation, store) -> None:
    turn = conv.say("SF1409876543210 破损了", "damaged_goods")  # declared 5000 > 2000
    assert len(cases_in_store(store, type="damage_claim")) == 1
    handoff = turn.handoff
    assert handoff["reason"] == "high_value_claim"
    assert handoff["category"] == "damage"
    assert handoff["priority"] == "high"
    assert handoff["sla_minutes"] == 15
    reference = cases_in_store(store, type="damage_claim")[0].reference
    assert reference in handoff["summary"]
    assert "声明价值 5,000 CNY" in handoff["summary"]


def test_damage_without_a_number_gives_the_checklist_then_asks(conv: Conversation, store) -> None:
    turn = conv.say("快递破损了怎么办", "damaged_goods")
    assert "外包装照片" in turn.text and "运单号" in turn.text
    assert conv.slots["pending_topic"] == "damaged"
    assert cases_in_store(store) == []
    turn = conv.say("SF1409876543210", "provide_tracking_number")
    assert "外包装照片" not in turn.text  # not repeated
    assert len(cases_in_store(store, type="damage_claim")) == 1


def test_damage_in_english(conv: Conversation) -> None:
    turn = conv.say("my parcel SF1409876543210 arrived damaged", "damaged_goods")
    assert "outer packaging photos" in turn.text and "unboxing video" in turn.text
    assert "I've registered a damage claim for SF1409876543210" in turn.text
    assert turn.handoff["language"] == "en"
    assert "declared value 5,000 CNY" in turn.handoff["summary"]


# --------------------------------------------------------------------------- lost


def test_a_parcel_under_investigation_says_since_when(conv: Conversation, store) -> None:
    turn = conv.say("JDAB0009876543210 是不是丢了", "lost_parcel")
    assert "已于11月21日（周六）立案调查（中转途中面单脱落，正在各网点排查）" in turn.text
    assert "已保价的包裹按声明价值赔付" in turn.text and "未保价的按运费" in turn.text
    assert "声明价值 12,000 CNY" in turn.text
    (case,) = cases_in_store(store)  # the investigation on record gets a case a person owns
    assert case.type == "loss_claim" and f"编号 {case.reference}" in turn.text
    handoff = turn.handoff  # enterprise customer, 12000 declared
    assert handoff["reason"] == "high_value_claim"
    assert handoff["category"] == "loss"
    assert handoff["priority"] == "high"
    assert handoff["customer_tier"] == "enterprise"


def test_no_scan_for_days_opens_a_loss_investigation_once(conv: Conversation, store) -> None:
    turn = conv.say("751234567890 好几天没动静了", "lost_parcel")
    claims = cases_in_store(store, type="loss_claim")
    assert len(claims) == 1
    assert claims[0].details["days_without_scan"] == 4
    assert "最后一次扫描是11月18日（周三） 21:10【广州转运中心】，已经4天没有新的物流更新" in turn.text
    assert f"编号 {claims[0].reference}" in turn.text
    assert turn.handoff is None  # 800 is below the threshold
    again = conv.say("那个件丢了吗", "lost_parcel")
    assert "已经有一个在处理中的丢件调查" in again.text
    assert len(cases_in_store(store, type="loss_claim")) == 1


def test_a_recently_scanned_parcel_is_not_treated_as_lost(conv: Conversation, store) -> None:
    turn = conv.say("SF1402345678901 是不是丢了", "lost_parcel")
    assert "目前没有丢失的迹象" in turn.text
    assert "今天 06:40" in turn.text and "北京顺义转运中心" in turn.text
    assert "预计明天 11月24日（周二） 18:00前送达" in turn.text
    assert cases_in_store(store) == []


def test_a_lost_question_about_a_delivered_parcel_checks_the_delivery(conv: Conversation) -> None:
    turn = conv.say("773123456789012 丢了", "lost_parcel")
    assert "签收方式：快递柜" in turn.text
    assert conv.slots["verification_purpose"] == "pickup_code"


# --------------------------------------------------------------------------- failed delivery


def test_failed_delivery_explains_the_reason_and_offers_options(conv: Conversation) -> None:
    turn = conv.say("YT1230000000001 派送失败了", "delivery_failed")
    assert "地址有误或不详——门牌号缺失，联系收件人未接通" in turn.text
    payloads = [button["payload"] for button in turn.buttons]
    assert payloads == [
        '/choose_delivery_option{"delivery_option":"self_pickup"}',
        '/choose_delivery_option{"delivery_option":"redeliver"}',
        '/choose_delivery_option{"delivery_option":"forward"}',
    ]
    assert conv.slots["awaiting"] == "delivery_option"
    assert "王芳" not in turn.text and "13600003333" not in turn.text


def test_out_of_area_offers_no_second_attempt(conv: Conversation) -> None:
    turn = conv.say("YT1230000000002 送不到", "delivery_failed")
    assert "超出派送范围" in turn.text
    assert [b["title"] for b in turn.buttons] == ["到自提点自取", "改寄到其他地址"]


def test_no_failed_delivery_recorded(conv: Conversation) -> None:
    turn = conv.say("SF1402345678901 派送失败？", "delivery_failed")
    assert "没有派送失败的记录" in turn.text
    assert turn.buttons == []


def test_self_pickup_names_the_station_and_is_recorded(conv: Conversation, store) -> None:
    conv.say("YT1230000000002 送不到", "delivery_failed")
    turn = conv.say(
        "我自己去取", "choose_delivery_option", entities=[{"entity": "delivery_option", "value": "self_pickup"}]
    )
    requests = cases_in_store(store, type="self_pickup")
    assert len(requests) == 1
    assert requests[0].details == {"pickup_point": "大理宾川营业部"}
    assert "【大理宾川营业部】" in turn.text and requests[0].reference in turn.text


def test_redelivery_books_a_window_in_shanghai_time(conv: Conversation, store) -> None:
    conv.say("YT1230000000001 派送失败了", "delivery_failed")
    turn = conv.say("再送一次吧", "choose_delivery_option")
    assert conv.slots["awaiting"] == "redelivery_window"
    assert '/choose_time_window{"time_window":"tomorrow_am"}' in [b["payload"] for b in turn.buttons]
    turn = conv.say("明天上午", "choose_time_window", entities=[{"entity": "time_window", "value": "tomorrow_am"}])
    requests = cases_in_store(store, type="redelivery")
    assert len(requests) == 1
    assert requests[0].window_start == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert requests[0].window_end == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert "明天 11月24日（周二） 09:00–12:00再次派送" in turn.text
    assert requests[0].reference in turn.text
    assert conv.slots["awaiting"] is None


def test_unclear_option_shows_the_choices_again(conv: Conversation) -> None:
    conv.say("YT1230000000001 派送失败了", "delivery_failed")
    turn = conv.say("随便吧", "choose_delivery_option")
    assert len(turn.buttons) == 3


# --------------------------------------------------------------------------- address change


def test_forwarding_needs_verification_then_the_new_address_is_stored(
    conv: Conversation, store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="actions")
    conv.say("YT1230000000001 派送失败了", "delivery_failed")
    turn = conv.say(
        "改寄到别的地址", "choose_delivery_option", entities=[{"entity": "delivery_option", "value": "forward"}]
    )
    assert "后4位" in turn.text
    assert conv.slots["verification_purpose"] == "address_change"
    turn = conv.say("尾号3333", "provide_phone_last4")
    assert "请发送新的收货地址" in turn.text
    assert conv.slots["awaiting"] == "new_address"
    turn = conv.say("新地址是北京市朝阳区酒仙桥路10号恒通商务园B座5层", "inform_address")
    requests = cases_in_store(store, type="forward")  # after a failed delivery: forwarded
    assert len(requests) == 1
    assert requests[0].details["new_address"] == "北京市朝阳区酒仙桥路10号恒通商务园B座5层"
    assert requests[0].reference in turn.text
    assert "北京市****" in turn.text and "酒仙桥路" not in turn.text  # confirmed masked
    assert conv.slots["awaiting"] is None
    # the logs mention the request but never the address itself
    assert requests[0].reference in caplog.text
    assert "酒仙桥路10号" not in caplog.text
    assert "13600003333" not in caplog.text


def test_change_address_asks_for_verification_first(conv: Conversation, store) -> None:
    turn = conv.say("SF1402345678901 地址写错了要改", "change_address")
    assert "收件人手机号的后4位" in turn.text
    assert conv.slots["verification_purpose"] == "address_change"
    # an address before verification is not accepted
    conv.slots["awaiting"] = "new_address"
    turn = conv.say("上海市徐汇区漕溪北路88号", "inform_address")
    assert "后4位" in turn.text
    assert cases_in_store(store) == []


def test_an_incomplete_address_is_asked_again(conv: Conversation, store) -> None:
    conv.say("SF1402345678901 地址写错了要改", "change_address")
    conv.say("5678", "provide_phone_last4")
    turn = conv.say("公司", "inform_address")
    assert "地址好像不太完整" in turn.text
    assert conv.slots["awaiting"] == "new_address"
    assert cases_in_store(store) == []


def test_a_delivered_parcel_cannot_change_address(conv: Conversation) -> None:
    turn = conv.say("773123456789012 改地址", "change_address")
    assert "没法修改地址" in turn.text
    assert conv.slots["verification_purpose"] is None


def test_an_address_out_of_the_blue(conv: Conversation, store) -> None:
    turn = conv.say("北京市海淀区中关村大街1号", "inform_address")
    assert "修改地址" in turn.text
    assert cases_in_store(store) == []


def test_verification_without_anything_to_verify(conv: Conversation) -> None:
    turn = conv.say("尾号1234", "provide_phone_last4")
    assert "不需要验证手机号" in turn.text


def test_verification_logs_are_masked(conv: Conversation, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="actions")
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    conv.say("4321", "provide_phone_last4")
    assert "recipient verified for 773123456789012" in caplog.text
    assert "13987654321" not in caplog.text and "8-2-3341" not in caplog.text


def test_requests_are_stamped_with_the_assistants_clock(conv: Conversation, store, frozen_clock) -> None:
    frozen_clock(datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    conv.say("SF1409876543210 破损", "damaged_goods")
    claim = cases_in_store(store, type="damage_claim")[0]
    assert claim.reference.startswith("CS20261124-")
    assert claim.created_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
