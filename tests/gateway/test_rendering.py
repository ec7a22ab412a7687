"""Replies per channel: Markdown for the widget (lines kept as lines, nothing read as
markup), plain text for REST/WeChat."""

from __future__ import annotations

from bot.gateway.channels.rest import to_rest
from bot.gateway.channels.socketio import markdown, to_socketio
from bot.gateway.messages import OutboundMessage

TRACKING = "📦 运单 SF1402345678901（顺丰）\n线路：深圳 → 北京\n状态：运输中\n最新轨迹：今天 06:40【北京顺义】已到达"


def test_lines_become_hard_line_breaks() -> None:
    assert markdown(TRACKING).split("  \n") == TRACKING.split("\n")


def test_paragraphs_stay_paragraphs_and_lists_stay_lists() -> None:
    text = "退货流程是这样的：\n1. 申请退货\n2. 上门取件\n\n需要我帮您预约吗？"
    assert markdown(text) == "退货流程是这样的：  \n1. 申请退货  \n2. 上门取件\n\n需要我帮您预约吗？"


def test_markup_characters_are_escaped() -> None:
    assert markdown("7536******9173") == "7536\\*\\*\\*\\*\\*\\*9173"  # a masked number is no emphasis
    assert markdown("# 1 [link](x) <b>bold</b> _x_") == "\\# 1 \\[link\\](x) \\<b\\>bold\\</b\\> \\_x\\_"
    assert markdown("- not a list item") == "\\- not a list item"


def test_the_widget_gets_markdown_and_rest_the_plain_text() -> None:
    message = OutboundMessage(role="bot", text=TRACKING + "\n\n如需帮助随时告诉我")
    parts = to_socketio(message)
    assert [p["text"] for p in parts] == [markdown(TRACKING), "如需帮助随时告诉我"]
    assert to_rest("me", message)[0]["text"] == TRACKING + "\n\n如需帮助随时告诉我"
