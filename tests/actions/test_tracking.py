"""Tracking, expected delivery, delays, tracking numbers on their own, language."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.actions.conftest import ACTIONS, Conversation, make_tracker, run_action

CST = timezone(timedelta(hours=8))


def test_track_shows_status_latest_scan_and_eta_in_plain_chinese(conv: Conversation) -> None:
    turn = conv.say("帮我查下快递 SF1402345678901", "track_parcel")
    assert "运单 SF1402345678901（顺丰速运）" in turn.text
    assert "状态：运输中" in turn.text
    assert "最新轨迹：今天 06:40【北京顺义转运中心】快件已到达北京顺义转运中心" in turn.text
    assert "预计送达：明天 11月24日（周二） 18:00前" in turn.text
    assert "in_transit" not in turn.text  # codes never reach the customer
    assert turn.slot_sets()["tracking_numbers"] == ["SF1402345678901"]
    assert turn.slot_sets()["current_topic"] == "track"


def test_several_numbers_in_one_message_get_one_block_each(conv: Conversation) -> None:
    turn = conv.say("SF1402345678901 和 jdva-0123-4567-890 都到哪了", "track_parcel")
    assert "这 2 个运单" in turn.text
    assert turn.text.count("📦 运单") == 2
    assert "运单 JDVA01234567890（京东物流）" in turn.text
    assert "⚠️ 异常：运输延误——当地暴雨导致道路中断" in turn.text
    assert "预计送达：后天 11月25日（周三） 18:00前" in turn.text  # the exception's new ETA
    assert turn.slot_sets()["tracking_numbers"] == ["SF1402345678901", "JDVA01234567890"]


def test_the_tracking_number_entity_is_used_as_well_as_the_text(conv: Conversation) -> None:
    turn = conv.say(
        "查一下这个单号", "track_parcel", entities=[{"entity": "tracking_number", "value": "yt 2290 1123 45678"}]
    )
    assert "运单 YT2290112345678（圆通速递）" in turn.text


def test_an_unknown_number_is_reported_honestly_without_a_status(conv: Conversation) -> None:
    turn = conv.say("SF1499999999999 到哪了", "track_parcel")
    assert "SF1499999999999 暂时没有查到记录" in turn.text
    assert "核对" in turn.text and "承运" in turn.text
    assert "状态" not in turn.text and "预计送达" not in turn.text
    # nothing remembered, and the corrected number resumes the same question
    assert "tracking_numbers" not in turn.slot_sets()
    assert conv.slots["pending_topic"] == "track"


def test_known_and_unknown_numbers_together(conv: Conversation) -> None:
    turn = conv.say("SF1402345678901 SF1499999999999", "track_parcel")
    assert "状态：运输中" in turn.text
    assert "SF1499999999999 暂时没有查到记录" in turn.text
    assert turn.slot_sets()["tracking_numbers"] == ["SF1402345678901"]


def test_without_a_number_the_bot_asks_and_resumes_the_question_with_it(conv: Conversation) -> None:
    turn = conv.say("我的快递什么时候能到", "ask_eta")
    assert "运单号" in turn.text and "查预计送达时间" in turn.text
    assert conv.slots["pending_topic"] == "eta"
    turn = conv.say("SF1402345678901", "provide_tracking_number")
    assert turn.action == "action_receive_tracking_number"
    assert "运单 SF1402345678901 目前运输中，预计明天 11月24日（周二） 18:00前送达。" in turn.text
    assert conv.slots["pending_topic"] is None
    assert conv.slots["current_topic"] == "eta"
    assert conv.slots["tracking_numbers"] == ["SF1402345678901"]


def test_a_number_on_its_own_without_a_pending_question_is_tracked(conv: Conversation) -> None:
    turn = conv.say("773123456789012", "provide_tracking_number")
    assert "状态：已签收" in turn.text
    assert "签收：昨天 15:20，快递柜" in turn.text


def test_a_message_without_a_usable_number_asks_to_check_it(conv: Conversation) -> None:
    conv.say("我的快递到哪了", "track_parcel")
    turn = conv.say("12345", "provide_tracking_number")
    assert "“12345”只有 5 位，不像完整的运单号" in turn.text
    assert "运单号一般是 10–15 位数字" in turn.text
    assert conv.slots["pending_topic"] == "track"  # still waiting


def test_follow_up_questions_use_the_remembered_numbers(conv: Conversation) -> None:
    conv.say("SF1402345678901 和 JDVA01234567890 到哪了", "track_parcel")
    turn = conv.say("那什么时候到?", "ask_eta")
    assert "SF1402345678901 目前运输中，预计明天 11月24日（周二） 18:00前送达" in turn.text
    assert "JDVA01234567890 受“运输延误”影响（当地暴雨导致道路中断，车辆无法按时发出）" in turn.text
    assert "后天 11月25日（周三） 18:00前" in turn.text


def test_the_remembered_slot_is_used_when_the_history_is_gone() -> None:
    tracker = make_tracker("什么时候到", "ask_eta", slots={"tracking_numbers": ["JDVA01234567890", "SF1402345678901"]})
    messages, _ = run_action(ACTIONS["action_ask_eta"], tracker)
    assert "SF1402345678901" in messages[0]["text"]  # the newest one
    assert "JDVA01234567890" not in messages[0]["text"]


def test_remembered_numbers_keep_the_newest_five(conv: Conversation) -> None:
    conv.slots["tracking_numbers"] = ["A1", "A2", "A3", "A4", "SF1402345678901"]
    turn = conv.say("YT2290112345678", "track_parcel")
    assert turn.slot_sets()["tracking_numbers"] == ["A2", "A3", "A4", "SF1402345678901", "YT2290112345678"]


def test_english_conversation_gets_english_replies(conv: Conversation) -> None:
    turn = conv.say("where is my parcel YT2290112345678", "track_parcel")
    assert conv.slots["language"] == "en"
    assert "Here's the latest on your parcel" in turn.text
    assert "Status: Out for delivery" in turn.text
    assert "Latest scan: today at 08:05, 上海浦东张江营业部" in turn.text
    assert "Expected delivery: today (Mon, Nov 23), by 18:00" in turn.text
    assert "状态" not in turn.text and "预计" not in turn.text
    # a bare number keeps the English conversation English
    turn = conv.say("SF1402345678901", "provide_tracking_number")
    assert conv.slots["language"] == "en"
    assert "Expected delivery: tomorrow (Tue, Nov 24), by 18:00" in turn.text


def test_personal_data_in_a_scan_description_is_masked(conv: Conversation) -> None:
    turn = conv.say("YT2290112345678", "track_parcel")
    assert "13611112222" not in turn.text
    assert "136****2222" in turn.text


def test_a_parcel_without_scans_says_so() -> None:
    turn = Conversation().say("SF1400000000026", "track_parcel")
    assert "状态：已下单，等待揽收" in turn.text
    assert "暂无扫描记录" in turn.text
    assert "预计送达：暂未确定" in turn.text


def test_eta_of_a_delivered_parcel_says_when_and_how_it_was_signed() -> None:
    turn = Conversation().say("773123456789012 什么时候到", "ask_eta")
    assert "已于昨天 15:20签收（快递柜）" in turn.text


# --------------------------------------------------------------------------- delays


def test_a_recorded_delay_follows_acknowledge_cause_solution_follow_up(conv: Conversation) -> None:
    turn = conv.say("JDVA01234567890 怎么还没到", "ask_delay")
    text = turn.text
    ack = text.index("非常抱歉，运单 JDVA01234567890 确实延误了")
    cause = text.index("据昨天 09:00的登记，原因是：当地暴雨导致道路中断，车辆无法按时发出。")
    solution = text.index("目前预计后天 11月25日（周三） 18:00前送达")
    follow_up = text.index("如果到时还没收到")
    assert ack < cause < solution < follow_up
    assert "转人工" in text[follow_up:]
    assert turn.handoff is None


def test_the_delay_template_in_english(conv: Conversation) -> None:
    turn = conv.say("why is my parcel JDVA01234567890 late?", "ask_delay")
    assert "I'm really sorry — JDVA01234567890 is running late" in turn.text
    assert "The cause: 当地暴雨导致道路中断，车辆无法按时发出 (recorded yesterday at 09:00)." in turn.text
    assert "It's now expected Wed, Nov 25, by 18:00." in turn.text
    assert "If it hasn't arrived by then" in turn.text


def test_late_without_a_recorded_cause_apologises_and_offers_to_escalate(conv: Conversation) -> None:
    turn = conv.say("4312345678901 怎么还没到", "ask_delay")
    assert "原本承诺11月21日（周六） 18:00前送达，现在已经超时了" in turn.text
    assert "还没有登记具体的延误原因" in turn.text
    assert "昨天 19:40【济南转运中心】快件已从济南转运中心发出" in turn.text
    assert "转给专员催查" in turn.text
    assert conv.slots["awaiting"] == "escalate_confirm"
    turn = conv.say("需要", "affirm")
    handoff = turn.handoff
    assert handoff is not None
    assert handoff["reason"] == "customer_request"
    assert handoff["category"] == "delay"
    assert handoff["tracking_numbers"] == ["4312345678901"]
    assert handoff["sla_minutes"] == 15
    assert "承诺 11月21日（周六） 18:00前" in handoff["summary"]
    assert conv.slots["handed_off"] is True
    assert conv.slots["awaiting"] is None


def test_declining_the_escalation_is_acknowledged(conv: Conversation) -> None:
    conv.say("4312345678901 怎么还没到", "ask_delay")
    turn = conv.say("不用了", "deny")
    assert "随时问我就能查到" in turn.text and "跟进" not in turn.text  # no promise nothing keeps
    assert turn.handoff is None
    assert conv.slots["awaiting"] is None


def test_a_parcel_on_schedule_is_reassuring(conv: Conversation) -> None:
    turn = conv.say("SF1402345678901 是不是延误了", "ask_delay")
    assert "请放心" in turn.text and "运输正常" in turn.text
    assert "预计明天 11月24日（周二） 18:00前送达，在承诺时效内" in turn.text
    assert "抱歉" not in turn.text


def test_delay_question_about_a_lost_parcel_points_to_the_right_help() -> None:
    turn = Conversation().say("JDAB0009876543210 为什么这么久", "ask_delay")
    assert "疑似丢失" in turn.text and "中转途中面单脱落" in turn.text
    assert "查丢件" in turn.text


def test_vip_customer_with_a_delay_is_answered_and_gets_high_priority_when_handed_off(conv: Conversation) -> None:
    turn = conv.say("SF1400000000018 为什么还没到", "ask_delay")
    assert "原因是：航班取消，改为陆运" in turn.text  # answered, not handed off
    assert turn.handoff is None
    handoff = conv.say("还是帮我转人工吧", "request_human").handoff
    assert handoff["reason"] == "customer_request"
    assert handoff["priority"] == "high"  # the VIP tier raises the priority
    assert handoff["category"] == "delay"
    assert handoff["customer_tier"] == "vip"


def test_urgent_medicine_on_a_delayed_parcel_is_urgent(conv: Conversation) -> None:
    turn = conv.say("我的胰岛素什么时候到 JDVA01234567890，急用", "ask_eta")
    assert "新的预计送达时间是后天 11月25日（周三） 18:00前" in turn.text
    handoff = turn.handoff
    assert handoff["reason"] == "urgent_medical"
    assert handoff["priority"] == "urgent"
    assert handoff["category"] == "delay"
    assert "胰岛素" in handoff["summary"]


def test_medicine_mentioned_before_the_number_still_counts(conv: Conversation) -> None:
    conv.say("寄的是救命的药，什么时候能到", "ask_eta")
    turn = conv.say("SF1402345678901", "provide_tracking_number")
    assert turn.handoff["reason"] == "urgent_medical"


def test_a_parcel_already_delivered_is_no_medical_emergency() -> None:
    turn = Conversation().say("药品 773123456789012 什么时候到", "ask_eta")
    assert turn.handoff is None


def test_a_passed_eta_is_reported_as_overdue_not_as_a_promise(conv: Conversation, frozen_clock) -> None:
    frozen_clock(datetime(2026, 11, 26, 10, 0, tzinfo=CST))  # the new ETA (25th, 18:00) has passed
    track = conv.say("JDVA01234567890 到哪了", "track_parcel")
    assert "预计送达：原定昨天 11月25日（周三） 18:00前，目前已超时" in track.text
    eta = conv.say("什么时候到", "ask_eta")
    assert "原预计昨天 11月25日（周三） 18:00前送达，目前已经超时了" in eta.text
    assert "新的预计送达时间是" not in eta.text
    delay = conv.say("为什么还没到", "ask_delay")
    assert "原因是：当地暴雨导致道路中断" in delay.text
    assert "原定昨天 11月25日（周三） 18:00前送达，现在已经超时" in delay.text
    assert "目前预计" not in delay.text
    assert conv.slots["awaiting"] == "escalate_confirm"  # an escalation is offered


def test_a_passed_eta_before_the_promise_is_overdue_not_a_broken_promise(frozen_clock) -> None:
    # the ETA (23rd, 18:00) has passed, the promise (24th, 18:00) has not
    frozen_clock(datetime(2026, 11, 24, 9, 0, tzinfo=CST))
    conv = Conversation()
    turn = conv.say("YT2290112345678 怎么还没送到", "ask_delay")
    assert "原预计昨天 11月23日（周一） 18:00前送达，目前已经超时了" in turn.text
    assert "承诺" not in turn.text  # the promise is not broken yet
    assert conv.slots["awaiting"] == "escalate_confirm"
    turn = conv.say("YT2290112345678", "track_parcel")
    assert "原定昨天 11月23日（周一） 18:00前，目前已超时" in turn.text


# --------------------------------------------------------------------------- language


def test_a_bare_tracking_number_keeps_the_conversation_chinese(conv: Conversation) -> None:
    turn = conv.say("JDVA01234567890", "provide_tracking_number")
    assert conv.slots["language"] == "zh"
    assert "状态：异常处理中" in turn.text
    conv.slots["language"] = "en"
    turn = conv.say("JDVA01234567890", "provide_tracking_number")
    assert conv.slots["language"] == "en" and "Status:" in turn.text


def test_language_detection_slot_mapping() -> None:
    action = ACTIONS["action_detect_language"]
    _, events = run_action(action, make_tracker("when will it arrive?", "ask_eta"))
    assert events == [{"event": "slot", "timestamp": None, "name": "language", "value": "en"}]
    _, events = run_action(action, make_tracker("SF1402345678901", "provide_tracking_number", slots={"language": "en"}))
    assert events[0]["value"] == "en"
    _, events = run_action(action, make_tracker("什么时候到", "ask_eta", slots={"language": "en"}))
    assert events[0]["value"] == "zh"


def test_the_clock_moves_relative_words(frozen_clock) -> None:
    frozen_clock(datetime(2026, 11, 24, 9, 0, tzinfo=CST))
    turn = Conversation().say("SF1402345678901", "track_parcel")
    assert "预计送达：今天 11月24日（周二） 18:00前" in turn.text
    assert "最新轨迹：昨天 06:40" in turn.text
