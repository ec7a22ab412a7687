"""Returns with pickup booking, time windows, and customs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.actions.conftest import Conversation, cases_in_store

CST = timezone(timedelta(hours=8))
UTC = timezone.utc


def test_return_steps_then_pickup_booking(conv: Conversation, store) -> None:
    turn = conv.say("773123456789012 这个想退货", "return_goods")
    text = turn.text
    steps = [text.index(step) for step in ("申请退货", "上门取件", "仓库验货", "退款")]
    assert steps == sorted(steps)
    assert "1–3个工作日" in text and "1–7个工作日" in text
    assert "需要我帮您预约上门取件吗？" in text
    assert conv.slots["awaiting"] == "return_pickup_confirm"

    turn = conv.say("好的", "affirm")
    payloads = [b["payload"] for b in turn.buttons]
    assert payloads[0] == '/choose_time_window{"time_window":"today_pm"}'  # 10:00 now: today 14-18 is still open
    assert len(payloads) == 6
    assert conv.slots["awaiting"] == "return_window"

    turn = conv.say("明天下午", "choose_time_window", entities=[{"entity": "time_window", "value": "tomorrow_pm"}])
    pickups = cases_in_store(store, type="return_pickup")
    assert len(pickups) == 1
    pickup = pickups[0]
    assert pickup.tracking_numbers == ["773123456789012"]
    assert pickup.window_start == datetime(2026, 11, 24, 14, 0, tzinfo=CST).astimezone(UTC)
    assert pickup.window_end == datetime(2026, 11, 24, 18, 0, tzinfo=CST).astimezone(UTC)
    assert pickup.details == {"time_window": "tomorrow_pm"}
    assert "已为您预约明天 11月24日（周二） 14:00–18:00上门取件" in turn.text
    assert f"预约编号 {pickup.reference}" in turn.text
    assert conv.slots["awaiting"] is None


def test_return_without_a_number_explains_then_asks(conv: Conversation) -> None:
    turn = conv.say("怎么退货", "return_goods")
    assert "申请退货" in turn.text and "运单号" in turn.text
    assert conv.slots["pending_topic"] == "return"
    turn = conv.say("773123456789012", "provide_tracking_number")
    assert "申请退货" not in turn.text  # the steps are not repeated
    assert "需要我帮您预约上门取件吗？" in turn.text


def test_declining_the_pickup(conv: Conversation, store) -> None:
    conv.say("773123456789012 退货", "return_goods")
    turn = conv.say("不用了", "deny")
    assert "随时找我" in turn.text
    assert conv.slots["awaiting"] is None
    assert cases_in_store(store) == []


def test_a_parcel_still_on_its_way_is_refused_at_the_door(conv: Conversation) -> None:
    turn = conv.say("SF1402345678901 不想要了要退货", "return_goods")
    assert "直接拒收" in turn.text
    assert "需要我帮您预约上门取件吗" not in turn.text
    assert conv.slots["awaiting"] is None


def test_a_window_that_already_started_is_refused(conv: Conversation, store, frozen_clock) -> None:
    frozen_clock(datetime(2026, 11, 23, 15, 0, tzinfo=CST))
    conv.say("773123456789012 退货", "return_goods")
    turn = conv.say("好", "affirm")
    assert '/choose_time_window{"time_window":"today_pm"}' not in [b["payload"] for b in turn.buttons]
    turn = conv.say("今天下午", "choose_time_window", entities=[{"entity": "time_window", "value": "today_pm"}])
    assert "已经开始或已经过了" in turn.text
    assert cases_in_store(store) == []
    assert conv.slots["awaiting"] == "return_window"  # still choosing
    turn = conv.say("今晚", "choose_time_window")
    assert "今天 11月23日（周一） 18:00–21:00上门取件" in turn.text
    assert len(cases_in_store(store, type="return_pickup")) == 1


def test_a_time_window_out_of_context(conv: Conversation, store) -> None:
    turn = conv.say("明天上午", "choose_time_window")
    assert "上门取件，还是重新派送" in turn.text
    assert cases_in_store(store) == []


def test_return_booking_in_english(conv: Conversation, store) -> None:
    conv.say("I want to return 773123456789012", "return_goods")
    turn = conv.say("yes please", "affirm")
    assert turn.buttons[0]["title"] == "today (Mon, Nov 23), 14:00–18:00"
    turn = conv.say("tomorrow morning", "choose_time_window")
    reference = cases_in_store(store, type="return_pickup")[0].reference
    assert f"a courier will collect it tomorrow (Tue, Nov 24), 09:00–12:00, booking reference {reference}" in turn.text


# --------------------------------------------------------------------------- customs


def test_duties_unpaid_explains_amount_payment_and_documents(conv: Conversation) -> None:
    turn = conv.say("1Z999AA10123456784 关税怎么交", "customs_duties")
    text = turn.text
    assert "清关状态：待缴税费" in text
    assert "应缴税费：236.5 CNY" in text
    assert "税费支付" in text and "短信" in text  # how to pay
    assert "需要提供的材料：收件人身份证正反面照片、购物订单截图" in text
    assert "备注：个人物品进境需缴纳行邮税" in text
    assert "钱程" not in text and "13400007777" not in text


def test_customs_in_english(conv: Conversation) -> None:
    turn = conv.say("do I have to pay customs duties for 1Z999AA10123456784?", "customs_duties")
    assert "Customs status for 1Z999AA10123456784: waiting for duties to be paid." in turn.text
    assert "Duties due: 236.5 CNY." in turn.text
    assert "Documents needed: 收件人身份证正反面照片, 购物订单截图." in turn.text


def test_a_domestic_parcel_involves_no_customs(conv: Conversation) -> None:
    turn = conv.say("SF1402345678901 要交关税吗", "customs_duties")
    assert "国内件（深圳 → 北京市朝阳区），不涉及海关清关" in turn.text
    assert "税费：" not in turn.text
