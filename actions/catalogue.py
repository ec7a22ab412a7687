"""The assistant's words: every customer-facing sentence (`MESSAGES`, zh/en) and the
plain-word labels of stored codes. Data only; `actions/texts.py` formats it.

Chinese is the voice of a warm, professional service agent: acknowledge, explain with
the facts, offer the next step (with a time). English goes to English speakers.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- labels
# Each table maps a stored code to (Chinese, English).

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "created": ("已下单，等待揽收", "Order created, awaiting pickup"),
    "picked_up": ("已揽收", "Picked up"),
    "in_transit": ("运输中", "In transit"),
    "arrived_at_hub": ("已到达转运中心", "At a sorting hub"),
    "customs_clearance": ("清关中", "In customs clearance"),
    "customs_hold": ("海关暂扣查验中", "Held by customs"),
    "out_for_delivery": ("派送中", "Out for delivery"),
    "delivered": ("已签收", "Delivered"),
    "delivery_failed": ("派送未成功", "Delivery attempt failed"),
    "exception": ("异常处理中", "Being handled for an issue"),
    "returning": ("退回中", "Being returned to the sender"),
    "returned": ("已退回寄件人", "Returned to the sender"),
    "cancelled": ("已取消", "Cancelled"),
}

EXCEPTION_LABELS: dict[str, tuple[str, str]] = {
    "delay": ("运输延误", "transit delay"),
    "lost": ("疑似丢失", "possibly lost"),
    "damaged": ("包裹破损", "damaged parcel"),
    "misdelivered": ("错派", "delivered to the wrong place"),
    "refused": ("收件人拒收", "refused by the recipient"),
    "address_problem": ("地址有误或不详", "address problem"),
    "out_of_area": ("超出派送范围", "outside the delivery area"),
    "customs_hold": ("海关暂扣", "held by customs"),
    "held_at_station": ("滞留网点", "held at the local station"),
}

# Who/what signed for a parcel, as categories that identify nobody.
SIGNED_BY_LABELS: dict[str, tuple[str, str]] = {
    "self": ("本人签收", "signed by the recipient"),
    "locker": ("快递柜", "parcel locker"),
    "station": ("驿站/代收点", "pickup station"),
    "family": ("家人代收", "received by a family member"),
    "reception": ("前台/门卫代收", "received at reception / the front desk"),
    "neighbour": ("邻居代收", "received by a neighbour"),
    "colleague": ("同事代收", "received by a colleague"),
    "other": ("他人代收", "received by someone else"),
}
SIGNED_BY_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("locker", ("柜", "locker")),
    ("station", ("驿站", "代收点", "服务站", "自提点", "菜鸟", "station")),
    ("reception", ("前台", "门卫", "物业", "保安", "传达室", "收发室", "reception", "front desk")),
    ("family", ("家人", "家属", "亲属", "父", "母", "妈", "爸", "爱人", "老公", "老婆", "family")),
    ("neighbour", ("邻居", "neighbo")),
    ("colleague", ("同事", "colleague")),
    ("self", ("本人", "recipient", "self")),
)

CUSTOMS_LABELS: dict[str, tuple[str, str]] = {
    "not_started": ("尚未开始清关", "customs clearance has not started yet"),
    "in_progress": ("清关中", "customs clearance in progress"),
    "cleared": ("已清关放行", "cleared by customs"),
    "held": ("海关暂扣查验", "held by customs for inspection"),
    "duty_unpaid": ("待缴税费", "waiting for duties to be paid"),
}

# What an earlier bot action did, for the handoff summary (topics declare theirs: actions/topics.py).
ACTION_STEP_LABELS: dict[str, tuple[str, str]] = {
    "action_verify_phone": ("进行收件人手机号验证", "ran recipient phone verification"),
    "action_choose_time_window": ("预约时间段", "booked a time window"),
    "action_choose_delivery_option": ("处理派送方式选择", "handled the delivery option"),
    "action_receive_address": ("接收新地址", "received a new address"),
}

DELIVERY_OPTION_LABELS: dict[str, tuple[str, str]] = {
    "self_pickup": ("到自提点自取", "Pick it up myself"),
    "redeliver": ("预约再次派送", "Redeliver at a time I choose"),
    "forward": ("改寄到其他地址", "Send it to another address"),
}

FALLBACK_TOPICS: tuple[tuple[str, str, str], ...] = (
    ("track_parcel", "查快递", "Track a parcel"),
    ("ask_delay", "为什么延误", "Why is it late?"),
    ("signed_not_received", "显示签收但没收到", "Delivered but not received"),
    ("return_goods", "退货", "Return an item"),
    ("request_human", "转人工", "Talk to an agent"),
)


# --------------------------------------------------------------------------- messages

MESSAGES: dict[str, dict[str, str]] = {
    # ---- general
    "store_unavailable": {
        "zh": "非常抱歉，系统查询暂时有点繁忙，没能查到信息 🙏 请您稍等一两分钟再试一次；如果比较着急，回复“转人工”，我帮您转接同事。",
        "en": "Sorry, our system is a little busy right now and I couldn't look that up. Please try again in a minute or two, or type \"agent\" if it's urgent and I'll bring in a colleague.",
    },
    "internal_error": {
        "zh": "抱歉，刚才处理时出了点小问题，麻烦您再发一次；如果仍然不行，回复“转人工”由同事为您处理。",
        "en": 'Sorry, something went wrong on my side. Could you send that again? If it still doesn\'t work, type "agent" and a colleague will help.',
    },
    "ask_number": {
        "zh": "好的，麻烦您发一下运单号，我马上帮您{purpose}。运单号印在快递面单上，比如 SF1402345678901。"
        "找不到单号的话，告诉我收件人手机号和姓氏也能帮您查。",
        "en": "Sure — could you send me the tracking number? I'll {purpose} right away. It's printed on the label, "
        "e.g. SF1402345678901. No number at hand? Send me the recipient's phone number and last name instead.",
    },
    "number_not_recognised": {
        "zh": "抱歉，我没有识别出有效的运单号。麻烦您核对后再发给我，运单号一般是字母加数字，比如 SF1402345678901。",
        "en": "Sorry, I couldn't spot a valid tracking number there. Could you check it and send it again? It usually looks like SF1402345678901.",
    },
    "not_found": {
        "zh": "运单 {number} 暂时没有查到记录。麻烦您核对一下单号是否有误，也确认一下是不是由我们承运（不同快递公司的单号有时很像）；如果是刚寄出的件，物流信息可能要过几个小时才会更新。",
        "en": "I couldn't find any record for {number}. Could you double-check the number for a typo, and that the parcel was shipped with us (numbers from different carriers can look alike)? If it was sent only recently, tracking can take a few hours to appear.",
    },
    # ---- numbers that are not in the store, or cannot be numbers (actions/not_found.py)
    "not_found_carrier": {
        "zh": "运单 {number} 暂时没有查到记录（这是{carrier}的单号格式）。麻烦您核对一下单号有没有输错，也确认一下是不是由{carrier}承运；如果是刚下单或商家刚发货，信息可能还没有录入系统，一般几个小时内会更新，您稍后再查一下就好。",
        "en": "I couldn't find any record for {number} (it has the format of a {carrier} number). Could you double-check it for a typo, and that the parcel was shipped with {carrier}? If it was ordered or sent only recently, it may not be in the system yet; tracking usually appears within a few hours.",
    },
    "not_found_plain": {
        "zh": "没有查到 {number} 的记录。麻烦您核对一下号码是否完整、有没有输错。",
        "en": "There's no record of {number} in our system. Could you check that it's complete and has no typo?",
    },
    "not_found_recent": {
        "zh": "如果号码没错、是刚寄出的件，信息可能还没有录入系统，稍后再查一下就好。",
        "en": "If the number is right and the parcel was sent only recently, it may not be in the system yet; please check again a little later.",
    },
    "number_prefix_length": {
        "zh": "{carrier}的单号是 {prefix} 加 {digits} 位数字，您发的这个是 {prefix} 加 {typed} 位，可能{more_or_less}了一位。",
        "en": "{carrier} numbers are {prefix} followed by {digits} digits; this one has {typed}, so a digit may be {more_or_less}.",
    },
    "number_more": {"zh": "多打", "en": "extra"},
    "number_less": {"zh": "少打", "en": "missing"},
    "number_format_hint": {
        "zh": "运单号一般是 10–15 位数字（比如中通 14 位、韵达/申通 13 或 15 位），或者字母开头加数字（比如 SF、JT、JD、YT、DPK 开头）。它印在快递面单的条码下方，在购物 App 的订单物流页面也能看到，麻烦您核对后把完整的号码发给我。",
        "en": "A tracking number is usually 10-15 digits, or letters followed by digits (starting with SF, JT, JD, YT, 1Z …). It's printed under the barcode on the label, and shown on the order's tracking page in the shopping app. Could you check it and send me the full number?",
    },
    "number_is_phone": {
        "zh": "{number} 看起来是手机号，不是运单号哦。",
        "en": "{number} looks like a phone number rather than a tracking number.",
    },
    "number_too_short": {
        "zh": "“{number}”只有 {count} 位，不像完整的运单号。",
        "en": '"{number}" has only {count} characters, too short for a full tracking number.',
    },
    "number_too_long": {
        "zh": "“{number}”有 {count} 位，比运单号长，可能多复制了别的内容。",
        "en": '"{number}" has {count} characters, longer than a tracking number; something else may have been copied with it.',
    },
    "number_no_digits": {
        "zh": "“{number}”里数字太少，不像运单号。",
        "en": '"{number}" has too few digits to be a tracking number.',
    },
    # ---- answers from the parcel's own state (actions/state.py)
    "state_refused": {
        "zh": "运单 {number} 在{time}派送时被拒收，记录的原因是：{reason}。",
        "en": "{number} was refused at delivery {time}; the record gives this reason: {reason}.",
    },
    "state_refused_no_reason": {
        "zh": "运单 {number} 派送时没有被签收，已按流程退回寄件人。",
        "en": "{number} was not accepted at delivery and is being returned to the sender.",
    },
    "state_returning": {
        "zh": "按流程，拒收的包裹会退回寄件人，它现在正在退回{origin}的途中（最新：{scan}）。",
        "en": "Refused parcels go back to the sender, and it is now on its way back to {origin} (latest: {scan}).",
    },
    "state_returned": {
        "zh": "包裹已经退回寄件人（{origin}），{time}已签收。",
        "en": "It is back with the sender ({origin}), signed for {time}.",
    },
    "state_refused_options": {
        "zh": "如果您是收件人、仍需要这件商品，请联系商家或寄件人重新发货；如果您是寄件人，需要重新寄出的话可以重新下单。如果并没有人拒收过，回复“转人工”，同事会帮您核实派送记录。",
        "en": 'If you are the recipient and still want the item, please ask the seller or sender to ship it again; a sender can book a new shipment. If nobody refused it, type "agent" and a colleague will check the delivery record.',
    },
    "state_not_collected": {
        "zh": "运单 {number} 目前还是“已下单，等待揽收”：{time}下单后，快递员还没有上门揽收，所以暂时还没有物流轨迹。",
        "en": '{number} is still "order created, awaiting pickup": it was ordered {time}, and no courier has collected it yet, so there is no tracking yet.',
    },
    "state_not_collected_late": {
        "zh": "下单已经 {waited}了还没有人上门，让您久等了，非常抱歉。回复“转人工”，同事会联系网点尽快安排上门揽收。",
        "en": 'It has been {waited} since the order and nobody has come, I\'m sorry about the wait. Type "agent" and a colleague will ask the local branch to send a courier.',
    },
    "state_cancelled": {
        "zh": "运单 {number} 已经取消了（{time}），所以之后不会再有新的物流信息。如果不是您自己取消的，建议联系商家或寄件人确认是否会重新发货。",
        "en": "{number} was cancelled ({time}), so there will be no further tracking updates. If you didn't cancel it, please check with the seller or sender whether they will ship again.",
    },
    # ---- tracking
    "track_intro_one": {"zh": "帮您查到了，包裹的最新情况如下：", "en": "Here's the latest on your parcel:"},
    "track_intro_many": {
        "zh": "帮您查到了这 {count} 个运单的情况：",
        "en": "Here's the latest on your {count} parcels:",
    },
    "block_header": {"zh": "📦 运单 {number}（{carrier}）", "en": "📦 {number} ({carrier})"},
    "block_route": {"zh": "线路：{origin} → {destination}", "en": "Route: {origin} → {destination}"},
    "block_status": {"zh": "状态：{status}", "en": "Status: {status}"},
    "block_scan": {
        "zh": "最新轨迹：{time}【{location}】{description}",
        "en": "Latest scan: {time}, {location} — {description}",
    },
    "block_scan_no_place": {"zh": "最新轨迹：{time} {description}", "en": "Latest scan: {time} — {description}"},
    "block_no_scans": {
        "zh": "最新轨迹：暂无扫描记录（可能还在等待揽收）",
        "en": "Latest scan: none yet (it may still be waiting for pickup)",
    },
    "block_eta": {"zh": "预计送达：{eta}", "en": "Expected delivery: {eta}"},
    "block_eta_overdue": {
        "zh": "预计送达：原定{eta}，目前已超时",
        "en": "Expected delivery: was {eta} — now overdue",
    },
    "block_eta_unknown": {
        "zh": "预计送达：暂未确定（物流更新后随时问我就能查到）",
        "en": "Expected delivery: not confirmed yet",
    },
    "block_delivered": {"zh": "签收：{time}，{category}", "en": "Delivered: {time}, {category}"},
    "block_exception": {"zh": "⚠️ 异常：{type}——{reason}", "en": "⚠️ Issue: {type} — {reason}"},
    "block_exception_no_reason": {"zh": "⚠️ 异常：{type}", "en": "⚠️ Issue: {type}"},
    "track_followup": {
        "zh": "如需了解延误原因、修改地址或预约派送，随时告诉我 😊",
        "en": "If you'd like to know more about a delay, change the address or rearrange the delivery, just let me know.",
    },
    # ---- expected delivery
    "eta_expected": {
        "zh": "运单 {number} 目前{status}，预计{eta}送达。",
        "en": "{number} — {status}. It's expected {eta}.",
    },
    "eta_delayed": {
        "zh": "运单 {number} 受“{type}”影响（{reason}），新的预计送达时间是{new_eta}，比原计划晚了一些，非常抱歉。",
        "en": "{number} has been affected by a {type} ({reason}). The new expected delivery is {new_eta} — later than planned, and I'm sorry about that.",
    },
    "eta_overdue": {
        "zh": "非常抱歉，运单 {number} 原预计{eta}送达，目前已经超时了。最新轨迹：{scan}。需要的话回复“转人工”，由专员为您催办。",
        "en": "I'm sorry — {number} was expected {eta} and is now overdue. Latest scan: {scan}. Type \"agent\" if you'd like a colleague to chase it.",
    },
    "eta_unknown": {
        "zh": "运单 {number} 目前{status}，暂时还没有确定的送达时间。最新轨迹：{scan}。物流信息更新后，您随时问我就能查到。",
        "en": "{number} — {status}. There's no confirmed delivery time yet. Latest scan: {scan}. Ask me any time for the latest.",
    },
    "eta_delivered": {
        "zh": "运单 {number} 已于{time}签收（{category}）。如果您还没拿到，告诉我“显示签收但没收到”，我帮您核实。",
        "en": "{number} was delivered {time} ({category}). If you haven't got it, tell me \"it says delivered but I didn't get it\" and I'll look into it.",
    },
    "eta_closed": {
        "zh": "运单 {number} 当前状态是{status}，不会再派送了。如有疑问，可以回复“转人工”咨询同事。",
        "en": "{number} is {status}, so it won't be delivered. If that's unexpected, type \"agent\" and a colleague will help.",
    },
    # ---- delay
    "delay_ack": {
        "zh": "非常抱歉，运单 {number} 确实延误了，让您久等了。",
        "en": "I'm really sorry — {number} is running late, and I know waiting is frustrating.",
    },
    "delay_cause": {
        "zh": "据{reported}的登记，原因是：{reason}。",
        "en": "The cause: {reason} (recorded {reported}).",
    },
    "delay_cause_undated": {"zh": "原因是：{reason}。", "en": "The cause: {reason}."},
    "delay_cause_unknown": {
        "zh": "目前登记的异常是“{type}”，具体原因还在核实中。",
        "en": "It's recorded as a {type}; the exact cause is still being checked.",
    },
    "delay_new_eta": {"zh": "目前预计{new_eta}送达。", "en": "It's now expected {new_eta}."},
    "delay_eta_overdue": {
        "zh": "原定{new_eta}送达，现在已经超时，新的送达时间还在确认中。",
        "en": "It was rescheduled for {new_eta} and is now overdue again; the new time is still being confirmed.",
    },
    "delay_no_new_eta": {
        "zh": "新的送达时间还在确认中，确认后会更新在物流信息里，您随时问我就能查到。",
        "en": "The new delivery time is still being confirmed; it will show in the tracking as soon as it is, and you can ask me any time.",
    },
    "delay_follow": {
        "zh": "如果到时还没收到，随时找我，或回复“转人工”由专员为您催办。",
        "en": 'If it hasn\'t arrived by then, message me any time or type "agent" and a colleague will chase it for you.',
    },
    "delay_late_unrecorded": {
        "zh": "非常抱歉，运单 {number} 原本承诺{promised}送达，现在已经超时了，系统里暂时还没有登记具体的延误原因。最新轨迹：{scan}。",
        "en": "I'm sorry — {number} was promised for {promised} and is now late. No cause has been recorded yet. Latest scan: {scan}.",
    },
    "delay_overdue_unrecorded": {
        "zh": "非常抱歉，运单 {number} 原预计{eta}送达，目前已经超时了，系统里暂时还没有登记具体的延误原因。最新轨迹：{scan}。",
        "en": "I'm sorry — {number} was expected {eta} and is now overdue. No cause has been recorded yet. Latest scan: {scan}.",
    },
    "delay_offer_escalate": {
        "zh": "需要我帮您转给专员催查吗？回复“需要”即可。",
        "en": 'Would you like me to pass this to a colleague to chase it? Just reply "yes".',
    },
    "delay_on_time": {
        "zh": "请放心，运单 {number} 目前运输正常（{status}），预计{eta}送达，在承诺时效内。",
        "en": "Good news — {number} is on schedule ({status}) and expected {eta}, within the promised time.",
    },
    "delay_on_time_no_eta": {
        "zh": "请放心，运单 {number} 目前运输正常（{status}），没有延误记录。最新轨迹：{scan}。",
        "en": "Good news — {number} is moving normally ({status}) with no delay recorded. Latest scan: {scan}.",
    },
    "delay_delivered": {
        "zh": "运单 {number} 已于{time}签收（{category}），目前没有延误。",
        "en": "{number} was already delivered {time} ({category}).",
    },
    "delay_other_issue": {
        "zh": "运单 {number} 登记的情况是“{type}”{reason}。{next_step}",
        "en": "{number} is recorded as: {type}{reason}. {next_step}",
    },
    "next_step_lost": {
        "zh": "我可以帮您查询丢件调查进度，说“查丢件”就行。",
        "en": 'I can check the loss investigation for you — just say "lost parcel".',
    },
    "next_step_damaged": {
        "zh": "我可以帮您登记破损理赔，说“包裹破损”就行。",
        "en": 'I can register a damage claim for you — just say "damaged parcel".',
    },
    "next_step_delivery": {
        "zh": "我可以帮您安排自取、再次派送或改地址，说“派送失败”就行。",
        "en": 'I can arrange a self-pickup, a redelivery or a new address — just say "delivery failed".',
    },
    "next_step_customs": {
        "zh": "我可以帮您查看清关需要的材料和税费，说“清关”就行。",
        "en": 'I can show what customs needs from you — just say "customs".',
    },
    # ---- signed but not received
    "snr_not_delivered": {
        "zh": "我查了一下，运单 {number} 目前还没有签收记录，当前状态是{status}。最新轨迹：{scan}。包裹还在路上，请再耐心等一等。",
        "en": "I've checked: {number} hasn't been delivered yet — it's {status}. Latest scan: {scan}. It's still on its way.",
    },
    "snr_delivered": {
        "zh": "非常理解您的着急，我们一起来找一下。系统显示运单 {number} 已于{time}签收，签收方式：{category}{place}。",
        "en": "I understand how worrying that is — let's track it down together. Our records show {number} was delivered {time} ({category}{place}).",
    },
    "snr_place": {"zh": "，地点：{location}", "en": ", at {location}"},
    "snr_checklist": {
        "zh": "建议您先看看这几处：\n1. 附近的快递柜或驿站（凭取件码取件）\n2. 家人或同住的人是否帮忙代收了\n3. 邻居、门卫、物业或公司前台",
        "en": "Could you check these first?\n1. Nearby parcel lockers or pickup stations (you need the pickup code)\n2. Family members or housemates who may have taken it in\n3. Neighbours, the building's reception, security or front desk",
    },
    "snr_code_verify": {
        "zh": "包裹放在{category}，需要凭取件码领取。取件码属于收件人信息，为保护隐私，请先告诉我收件人手机号的后4位，验证通过后我马上告诉您。",
        "en": "It was left at a {category}, which needs a pickup code. The code is the recipient's personal information, so please first tell me the last 4 digits of the recipient's phone number and I'll give it to you once that matches.",
    },
    "snr_offer_claim": {
        "zh": "如果这些地方都找过了还是没有，回复“是”，我立即为您发起未收到件调查，由专员跟进核实。",
        "en": "If you've checked all of these and it's still missing, reply \"yes\" and I'll open a non-receipt investigation right away; a specialist will follow it up.",
    },
    "snr_claim_created": {
        "zh": "好的，已为运单 {number} 发起未收到件调查，编号 {reference}。{next}{policy}",
        "en": "Done — I've opened a non-receipt investigation for {number}, reference {reference}. {next} {policy}",
    },
    "request_exists_elsewhere": {
        "zh": "运单 {number} 已经有一个在处理中的{kind}，不用重复提交哦。为保护客户隐私，进度只在登记它的会话里告知；"
        "如需查询，请回复“人工”，客服核实身份后为您处理。",
        "en": "There's already an open {kind} for {number}, so there's no need to submit it again. To protect our "
        'customers\' privacy its progress is only shared in the conversation that registered it; reply "agent" '
        "and a colleague will verify you and help.",
    },
    "request_exists": {
        "zh": "运单 {number} 已经有一个在处理中的{kind}（编号 {reference}），不用重复提交哦。{status}",
        "en": "There's already an open {kind} for {number} (reference {reference}), so there's no need to submit it again. {status}",
    },
    # ---- damaged
    "damage_ack": {
        "zh": "很抱歉包裹出现破损，给您添麻烦了 🙏 为了尽快帮您理赔，请准备以下材料：",
        "en": "I'm sorry your parcel arrived damaged. To get your claim moving quickly, please prepare:",
    },
    "damage_on_record": {"zh": "我们这边也有记录：{reason}。", "en": "We have this on record too: {reason}."},
    "damage_claim_created": {
        "zh": "已为运单 {number} 登记破损理赔申请，编号 {reference}。{next}上面的材料可以通过接下来发给您的上传链接提交。",
        "en": "I've registered a damage claim for {number}, reference {reference}. {next} You can send the items above through the upload link that follows.",
    },
    # ---- lost
    "lost_investigating": {
        "zh": "非常理解您的担心。运单 {number} 已于{reported}立案调查{reason}，编号 {reference}。{next}",
        "en": "I understand your concern. An investigation for {number} was opened {reported}{reason}, reference {reference}. {next}",
    },
    "lost_opened": {
        "zh": "非常理解您的担心。运单 {number} 最后一次扫描是{time}【{location}】，已经{days}天没有新的物流更新了。我已为您发起丢件调查，编号 {reference}。{investigation}{next}",
        "en": "I understand your concern. The last scan of {number} was {time} at {location}, {days} days ago with no update since. I've opened a loss investigation, reference {reference}. {investigation} {next}",
    },
    "lost_recent": {
        "zh": "请先别着急，运单 {number} 在{time}还有扫描记录（{location}：{description}），目前没有丢失的迹象。{eta}如果超过3天都没有新的物流更新，再来找我，我帮您发起调查。",
        "en": "Please don't worry yet — {number} was scanned {time} ({location}: {description}), so there's no sign it's lost. {eta}If there's no new scan for 3 days, come back and I'll open an investigation.",
    },
    "lost_recent_eta": {"zh": "预计{eta}送达。", "en": "It's expected {eta}. "},
    "compensation_insured": {
        "zh": "您的包裹已保价，声明价值 {value}。",
        "en": "Your parcel is insured with a declared value of {value}.",
    },
    # ---- delivery failed
    "df_reason": {
        "zh": "很抱歉包裹没能顺利送到。运单 {number} 登记的情况是：{type}——{reason}。",
        "en": "I'm sorry the parcel couldn't be delivered. For {number} the courier recorded: {type} — {reason}.",
    },
    "df_reason_no_text": {
        "zh": "很抱歉包裹没能顺利送到。运单 {number} 登记的情况是：{type}。",
        "en": "I'm sorry the parcel couldn't be delivered. For {number} the courier recorded: {type}.",
    },
    "df_failed_generic": {
        "zh": "很抱歉包裹没能顺利送到。运单 {number} 最新轨迹：{scan}。",
        "en": "I'm sorry the parcel couldn't be delivered. Latest scan for {number}: {scan}.",
    },
    "df_options": {
        "zh": "您可以选择下面的方式，我马上帮您安排：",
        "en": "Choose one of these and I'll arrange it right away:",
    },
    "df_none": {
        "zh": "运单 {number} 目前没有派送失败的记录，当前状态是{status}。最新轨迹：{scan}。",
        "en": "There's no failed delivery recorded for {number}; it's {status}. Latest scan: {scan}.",
    },
    "df_delivered": {
        "zh": "运单 {number} 已于{time}签收（{category}），没有派送失败的记录。",
        "en": "{number} was delivered {time} ({category}); no failed delivery is recorded.",
    },
    # ---- delivery options
    "opt_self_pickup": {
        "zh": "好的，已为您登记自取申请，编号 {reference}：包裹会在【{place}】为您保留。{hold}取件码会以短信发送到收件人手机，取件时出示即可。",
        "en": "Done — self-pickup is registered under reference {reference}: the parcel will be kept for you at {place}. {hold} The pickup code will be texted to the recipient's phone.",
    },
    "opt_pick_window": {
        "zh": "好的，请选择方便的派送时间：",
        "en": "Sure — which time suits you for the redelivery?",
    },
    "opt_unknown": {
        "zh": "请从下面选择一种处理方式：",
        "en": "Please choose one of these options:",
    },
    "opt_not_possible": {
        "zh": "运单 {number} 当前状态是{status}，暂时不能再安排派送。如有疑问，回复“转人工”由同事为您处理。",
        "en": "{number} is {status}, so another delivery can't be arranged. Type \"agent\" if you need a colleague's help.",
    },
    # ---- verification
    "verify_ask_address": {
        "zh": "为保护收件人信息，修改地址前需要先核实一下：请告诉我收件人手机号的后4位。",
        "en": "To protect the recipient's information, I need to verify first: please tell me the last 4 digits of the recipient's phone number.",
    },
    "verify_no_digits": {
        "zh": "请直接发送收件人手机号的后4位数字，例如“尾号1234”。",
        "en": 'Please send just the last 4 digits of the recipient\'s phone number, e.g. "last 4: 1234".',
    },
    "verify_failed_retry": {
        "zh": "抱歉，您提供的尾号和运单登记的信息不一致，请再核对一下（还可以再试 {left} 次）。",
        "en": "Sorry, those digits don't match our records. Please check and try again ({left} attempt(s) left).",
    },
    "verify_locked": {
        "zh": "为保护收件人信息安全，这个包裹近期的验证尝试次数过多，在线验证已暂停，需要由人工客服为您核实身份。",
        "en": "To protect the recipient's information, online verification for this parcel is paused after too many attempts, so a colleague will verify you instead.",
    },
    "verify_ok": {"zh": "验证通过，谢谢您的配合！", "en": "Thanks, that matches — you're verified."},
    "verify_ok_nothing": {
        "zh": "验证通过，谢谢您的配合！请问接下来需要我帮您做什么？",
        "en": "Thanks, that matches — you're verified. What would you like me to do next?",
    },
    "verify_not_needed": {
        "zh": "谢谢您，不过目前不需要验证手机号哦。请问有什么可以帮您？",
        "en": "Thank you, but no phone verification is needed right now. What can I help you with?",
    },
    "verify_unavailable": {
        "zh": "抱歉，运单 {number} 没有登记可供核验的手机号，我没办法在线验证。回复“转人工”，同事会帮您核实身份后继续办理。",
        "en": 'Sorry, {number} has no phone number on file that I can check, so I can\'t verify you online. Type "agent" and a colleague will verify you and continue.',
    },
    "pickup_details": {
        "zh": "取件信息如下：\n取件码：{code}\n存放位置：{location}\n签收时间：{time}\n请尽快去取件哦。",
        "en": "Here are the pickup details:\nPickup code: {code}\nLocation: {location}\nDelivered: {time}\nPlease collect it soon.",
    },
    "pickup_no_code": {
        "zh": "运单 {number} 是{category}，没有取件码。签收位置：{location}，签收时间：{time}。",
        "en": "{number} was {category}, so there's no pickup code. Location: {location}, delivered {time}.",
    },
    "address_ask_new": {
        "zh": "好的，请发送新的收货地址（省、市、区和详细门牌号），我帮您提交改址。",
        "en": "Great — please send the new delivery address (province, city, district and street address) and I'll submit the change.",
    },
    "address_locked": {
        "zh": "运单 {number} 当前状态是{status}，已经没法修改地址了。如需寄回或转寄，可以告诉我“退货”，我帮您安排。",
        "en": "{number} is {status}, so the address can no longer be changed. If you'd like to send it back, just say \"return\" and I'll help.",
    },
    "address_too_short": {
        "zh": "地址好像不太完整，麻烦发送包含省、市、区和详细门牌号的完整地址。",
        "en": "That address looks incomplete. Please send the full address including city, district and street number.",
    },
    "address_saved": {
        "zh": "已为运单 {number} 提交改址申请，编号 {reference}，新地址：{address}。{policy}",
        "en": "I've submitted the address change for {number}, reference {reference}. New address: {address}. {policy}",
    },
    "address_unexpected": {
        "zh": "收到。如果您是想修改收货地址，请先告诉我运单号，并说“修改地址”，我帮您办理。",
        "en": "Got it. If you'd like to change a delivery address, please tell me the tracking number and say \"change address\", and I'll take care of it.",
    },
    # ---- returns
    "return_offer_pickup": {
        "zh": "需要我帮您预约上门取件吗？",
        "en": "Shall I book a courier to collect it from you?",
    },
    "return_not_delivered": {
        "zh": "运单 {number} 还没有签收（{status}）。如果不想要了，派送时直接拒收即可，包裹会原路退回寄件人，不需要另外预约取件。",
        "en": "{number} hasn't been delivered yet ({status}). If you no longer want it, simply refuse it at delivery and it will go back to the sender — no pickup needed.",
    },
    "window_ask_return": {
        "zh": "好的，请选择方便的上门取件时间：",
        "en": "Great — which time suits you for the pickup?",
    },
    "window_past": {
        "zh": "抱歉，{window}这个时段已经开始或已经过了，来不及安排了，请选择其他时间：",
        "en": "Sorry, {window} has already started or passed, so it's too late to book. Please choose another time:",
    },
    "window_unknown": {"zh": "请从下面选择一个时间段：", "en": "Please choose one of these time windows:"},
    "window_booked_return": {
        "zh": "好的，已为您预约{window}上门取件，预约编号 {reference}。快递员上门前会先电话联系您，请提前准备好商品和原包装。",
        "en": "All set — a courier will collect it {window}, booking reference {reference}. They'll call before arriving; please have the item and its packaging ready.",
    },
    "window_booked_redelivery": {
        "zh": "好的，已为您预约{window}再次派送，预约编号 {reference}。派送前快递员会先联系收件人，请保持电话畅通。",
        "en": "All set — redelivery is booked for {window}, reference {reference}. The courier will contact the recipient before arriving.",
    },
    "window_no_context": {
        "zh": "请问您是想预约上门取件，还是重新派送？告诉我运单号和需求，我来帮您安排。",
        "en": "Would you like to book a return pickup or a redelivery? Tell me the tracking number and what you need, and I'll arrange it.",
    },
    # ---- customs
    "customs_domestic": {
        "zh": "运单 {number} 是国内件（{origin} → {destination}），不涉及海关清关，也不需要缴纳关税，请放心。",
        "en": "{number} is a domestic parcel ({origin} → {destination}), so no customs clearance or duties are involved.",
    },
    "customs_no_record": {
        "zh": "运单 {number} 是跨境包裹，清关信息暂时还没有更新。包裹到达口岸后会自动申报，之后您随时问我就能查到清关进度。",
        "en": "{number} is an international parcel, but there's no customs update yet. It's declared automatically when it reaches the border; ask me any time for the latest.",
    },
    "customs_status": {"zh": "运单 {number} 的清关状态：{status}。", "en": "Customs status for {number}: {status}."},
    "customs_explain_not_started": {
        "zh": "包裹还没有进入清关环节，到达口岸后会自动申报。",
        "en": "It hasn't reached customs yet; it will be declared automatically on arrival.",
    },
    "customs_explain_in_progress": {
        "zh": "海关正在审核，一般需要1–3个工作日，您不需要做什么。",
        "en": "Customs is reviewing it, which usually takes 1–3 working days; nothing is needed from you.",
    },
    "customs_explain_cleared": {
        "zh": "已顺利清关放行，接下来会转国内段派送。",
        "en": "It has cleared customs and will continue with domestic delivery.",
    },
    "customs_explain_held": {
        "zh": "包裹被海关暂扣查验，补充材料后才能放行。",
        "en": "Customs is holding it for inspection; it can be released once the documents below are provided.",
    },
    "customs_explain_duty_unpaid": {
        "zh": "包裹需要缴纳税费后才能放行。",
        "en": "Duties need to be paid before it can be released.",
    },
    "customs_duty": {
        "zh": "应缴税费：{amount}。缴纳方式：缴税链接会以短信发送到收件人手机，也可以在官网或App的“税费支付”中输入运单号支付；支付完成后一般1–2个工作日放行。",
        "en": 'Duties due: {amount}. How to pay: a payment link is texted to the recipient\'s phone, or enter the tracking number under "Pay duties" on our website or app. Release usually follows within 1–2 working days of payment.',
    },
    "customs_docs": {
        "zh": "需要提供的材料：{docs}。{upload}",
        "en": "Documents needed: {docs}. {upload}",
    },
    "customs_docs_case": {
        "zh": "已为您登记清关材料跟进，编号 {reference}，材料可以通过接下来发给您的上传链接提交。{next}",
        "en": "I've registered this under reference {reference}; you can send the documents through the upload link that follows. {next}",
    },
    "customs_note": {"zh": "备注：{note}", "en": "Note: {note}"},
    # ---- cases: following up what was registered
    # A reference this conversation did not open (or one that does not exist: the same answer).
    "case_not_shown": {
        "zh": "为保护客户隐私，编号 {reference} 的进度只能在登记它的会话里，或核实过相关包裹收件人手机号后查询。"
        "请核对编号（以 CS 开头）；如果这是您的事项，回复“人工”，客服核实身份后为您查询。",
        "en": "To protect our customers' privacy, the progress of {reference} can only be shared in the conversation "
        "that registered it, or after the recipient's phone number of its parcel has been verified. Please check "
        'the reference (it starts with CS); if it is yours, reply "agent" and a colleague will verify you and look it up.',
    },
    "case_not_shown_here": {
        "zh": "为保护客户隐私，这里不能告诉您事项的进度。需要帮助的话请回复“人工”，客服核实身份后为您查询。",
        "en": "To protect our customers' privacy I can't share the progress here. Reply \"agent\" and a colleague "
        "will verify you and look it up.",
    },
    "case_lookup_locked": {
        "zh": "查询的编号不对的次数较多，为保护客户隐私，暂时不能再按编号查询。需要帮助的话请回复“人工”，客服核实身份后为您处理。",
        "en": "Too many references could not be shown here, so to protect our customers' privacy I can't look up "
        'references for now. Reply "agent" and a colleague will verify you and help.',
    },
    "case_none": {
        "zh": "我这边没有查到您登记过的事项。如果您有编号（CS 开头），发给我就能查；也可以告诉我运单号，我帮您看看。",
        "en": "I can't find anything registered for you yet. If you have a reference (starting with CS), send it to me; or tell me the tracking number and I'll have a look.",
    },
    "case_none_for_parcel": {
        "zh": "运单 {number} 目前没有在处理中的事项。",
        "en": "There's nothing open for {number} at the moment.",
    },
    "case_more": {
        "zh": "另外还有 {count} 个事项，需要的话把编号发给我就能查。",
        "en": "There are {count} more; send me a reference to check one of them.",
    },
    "evidence_link": {
        "zh": "好的，请通过接下来的链接上传{case}的材料。",
        "en": "Sure, please use the link that follows to upload the evidence for your {case}.",
    },
    "evidence_none": {
        "zh": "您目前没有需要上传材料的事项。如果包裹破损或需要提交清关材料，告诉我运单号和情况，我先为您登记。",
        "en": "There's nothing waiting for evidence from you right now. If a parcel arrived damaged or customs need documents, tell me the tracking number and what happened and I'll register it first.",
    },
    "callback_needs_number": {
        "zh": "可以的。回电是关于哪个包裹呢？请把运单号发给我，并说“请给我回电话”，我核实后为您预约专员回电。",
        "en": "Of course. Which parcel is it about? Send me the tracking number and say \"please call me back\", and I'll book a call once you're verified.",
    },
    "callback_ask_phone": {
        "zh": "好的，请告诉我方便接听的手机号码，我为您预约专员回电。",
        "en": "Sure — which mobile number should we call? I'll book a callback from a specialist.",
    },
    "callback_phone_unclear": {
        "zh": "抱歉，没有识别出手机号码，请发送11位手机号，例如 13812345678。",
        "en": "Sorry, I couldn't spot a mobile number there. Please send the 11-digit number, e.g. 13812345678.",
    },
    "callback_pick_window": {
        "zh": "已记下号码 {phone}。请选择方便接听的时间段（北京时间）：",
        "en": "Noted: {phone}. When shall we call (Beijing time)?",
    },
    "window_booked_callback": {
        "zh": "好的，已为您预约{window}回电，编号 {reference}。专员会拨打 {phone}，请留意接听。",
        "en": "All set — a specialist will call {phone} {window}, reference {reference}.",
    },
    "callback_unexpected": {
        "zh": "收到。如果需要我们给您回电，说“请给我回电话”就行。",
        "en": 'Got it. If you\'d like us to call you back, just say "please call me back".',
    },
    # ---- dialogue
    "affirm_no_context": {
        "zh": "好的 😊 请问有什么可以帮您？可以直接发运单号给我，或者说说包裹遇到了什么情况。",
        "en": "Sure! What can I help you with? Send me a tracking number or tell me what happened with your parcel.",
    },
    "deny_no_context": {
        "zh": "好的，没问题。还有其他可以帮您的吗？",
        "en": "No problem. Is there anything else I can help with?",
    },
    "deny_return": {
        "zh": "好的，不需要预约也没关系，之后想寄回时随时找我。",
        "en": "No problem — whenever you're ready to send it back, just let me know.",
    },
    "deny_non_receipt": {
        "zh": "好的，您先找找看；如果还是没找到，随时回来找我，我帮您发起调查。",
        "en": "Okay, have a look first; if it's still missing, come back any time and I'll open an investigation.",
    },
    "deny_escalate": {
        "zh": "好的。包裹有新的物流进展时，您随时问我就能查到；需要专员催办时回复“转人工”即可。",
        "en": 'Okay. Ask me any time for the latest tracking; if you\'d like a colleague to chase it, just type "agent".',
    },
    "fallback_first": {
        "zh": "不好意思，我没太理解您的意思 🙏 能换个说法再说一次吗？也可以选择下面的常见问题：",
        "en": "Sorry, I didn't quite understand. Could you put it another way? Or pick one of these common topics:",
    },
    # ---- handoff (to the customer)
    "handoff_lead_customer_request": {"zh": "好的，没问题。", "en": "Of course."},
    "handoff_lead_complaint": {
        "zh": "非常抱歉给您带来了不好的体验，您的意见我们非常重视。",
        "en": "I'm very sorry about your experience, and we take your feedback seriously.",
    },
    "handoff_lead_repeated_misunderstanding": {
        "zh": "抱歉，我没能理解清楚您的问题。",
        "en": "Sorry I couldn't understand your question properly.",
    },
    "handoff_lead_high_value_claim": {
        "zh": "由于包裹声明价值较高，理赔将由专员一对一跟进。",
        "en": "Because of the parcel's high declared value, a claims specialist will handle this with you personally.",
    },
    "handoff_lead_urgent_medical": {
        "zh": "了解到包裹里是急需的药品/医疗物资，我们会加急处理。",
        "en": "I understand the parcel contains urgently needed medical supplies, so we're treating this as urgent.",
    },
    "handoff_lead_urgent_goods": {
        "zh": "了解到包裹里是急需的物品，我已为您开通绿色通道，优先处理。",
        "en": "As the parcel holds something you need urgently, I've put it on our priority channel.",
    },
    "handoff_lead_customer_upset": {
        "zh": "为了尽快给您一个满意的处理，我请专员来一对一跟进。",
        "en": "So that this is sorted out properly and quickly, I'm asking a colleague to take it on personally.",
    },
    # ---- finding parcels without a number (actions/lookup.py): phone + last name or order id
    "lookup_ask_phone": {
        "zh": "没有运单号也没关系 😊 请告诉我收件人的手机号，再加上收件人的姓氏（或者订单号）用于核对，我帮您找找包裹。",
        "en": "No tracking number? No problem. Please send the recipient's phone number plus the recipient's last name (or the order number) as a check, and I'll find the parcels.",
    },
    "lookup_ask_check": {
        "zh": "收到手机号 {phone}。为保护收件人的信息，请再告诉我收件人的姓氏（例如“姓王”）或者订单号，用于核对。",
        "en": "Got the phone number {phone}. To protect the recipient's information, please also tell me the recipient's last name (e.g. \"surname Wang\") or the order number.",
    },
    "lookup_not_found": {
        "zh": "抱歉，没有找到与手机号 {phone} 和您提供的核对信息相符的包裹。请确认这是收件人的手机号、姓氏或订单号无误（还可以再试 {left} 次）；刚下单的包裹也可能还没有记录。",
        "en": "Sorry, I found no parcel matching the phone number {phone} and the check you gave. Please make sure it is the recipient's phone and that the last name or order number is right (you can try {left} more time(s)); a parcel ordered very recently may not be on record yet.",
    },
    "lookup_found_one": {
        "zh": "找到 1 个相符的包裹：\n{items}\n回复“1”查看详细物流，也可以直接问我这个包裹的问题。",
        "en": 'I found 1 matching parcel:\n{items}\nReply "1" for the full tracking, or just ask me about it.',
    },
    "lookup_found_many": {
        "zh": "找到 {count} 个相符的包裹：\n{items}\n请回复序号（例如“1”），我帮您查看详情。",
        "en": 'I found {count} matching parcels:\n{items}\nReply with its number (e.g. "1") and I\'ll show the details.',
    },
    "lookup_item": {
        "zh": "{index}. {carrier} {number}｜{origin} → {destination}｜状态：{status}",
        "en": "{index}. {carrier} {number} | {origin} → {destination} | status: {status}",
    },
    "lookup_choose_again": {
        "zh": "请回复列表里的序号（1–{count}），或者运单号的后四位。",
        "en": "Please reply with the parcel's number in the list (1–{count}) or the last 4 digits of its tracking number.",
    },
    "lookup_locked": {
        "zh": "为保护收件人信息安全，这个手机号的查询多次核对未通过，暂时无法在线继续。",
        "en": "To protect the recipient's information, this phone number can't be looked up online for now after repeated failed checks.",
    },
    "lookup_too_many": {
        "zh": "为保护收件人信息安全，核对多次未通过，无法在线继续查询。",
        "en": "To protect the recipient's information, I can't continue the lookup online after several failed checks.",
    },
    # ---- feelings and urgency (bot/signals.py): acknowledged first, then the answer
    "feel_upset": {
        "zh": "非常理解您现在着急的心情，让您久等了，真的很抱歉 🙏 我马上帮您看。",
        "en": "I completely understand how frustrating this is, and I'm sorry for the trouble. Let me look into it right away.",
    },
    "feel_angry": {
        "zh": "真的非常抱歉让您这么生气，遇到这样的情况换作是谁都会着急，您的心情我完全理解。",
        "en": "I'm truly sorry this has made you so upset. Anyone would feel the same in your place, and I completely understand.",
    },
    "feel_urgent": {
        "zh": "明白这件包裹对您很要紧，我先帮您看看具体情况。",
        "en": "I understand this parcel is urgent for you; let me check exactly where things stand.",
    },
    "feel_offer_person": {
        "zh": "如果您希望由人工客服专门跟进，回复“需要”我马上为您转接。",
        "en": "If you'd like a colleague to follow this up personally, just reply \"yes\" and I'll connect you.",
    },
    "feel_offer_person_later": {
        "zh": "另外，如果您希望由人工客服跟进，随时回复“转人工”即可。",
        "en": 'And if you\'d like a colleague to take this over, just type "agent" at any time.',
    },
    "green_channel_offer": {
        "zh": "包裹里是急需的物品，如需加急，我可以为您开通绿色通道，由专员优先跟进，回复“需要”即可。",
        "en": 'As the parcel holds something you need urgently, I can put it on our priority channel with a colleague following it up. Just reply "yes".',
    },
    "handoff_lead_verification_failed": {
        "zh": "为保护收件人信息安全，验证未通过，无法在线继续办理。",
        "en": "To protect the recipient's information, I can't continue online as the verification didn't succeed.",
    },
    "handoff_lead_vip": {
        "zh": "您是我们的重要客户，这个问题会由专属客服优先跟进。",
        "en": "As a valued customer, you'll have a dedicated agent follow this up with priority.",
    },
    "handoff_tail": {
        "zh": "已为您转接人工客服，同事接入后能看到我们刚才的对话，您不用再重复说明。请稍候～",
        "en": "I've passed this to a colleague, who will see our conversation when they join, so you won't need to repeat anything.",
    },
    "handoff_already": {
        "zh": "您的问题已经转给人工同事了，正在为您安排，同事接入后会第一时间回复您，请稍候 🙏",
        "en": "Your conversation is already with a colleague, who will reply as soon as they join. Thank you for your patience.",
    },
    # ---- handoff summary (for the agent)
    "sum_customer": {"zh": "客户消息：{messages}。", "en": "Customer said: {messages}."},
    "sum_no_parcel": {"zh": "客户尚未提供运单号。", "en": "No tracking number given yet."},
    "sum_parcel": {"zh": "运单 {number}（{carrier}）：{details}。", "en": "{number} ({carrier}): {details}."},
    "sum_not_found": {"zh": "运单 {number}：系统中未查到。", "en": "{number}: not found in the system."},
    "sum_unavailable": {
        "zh": "运单 {number}：系统暂时无法查询详情。",
        "en": "{number}: details unavailable (the shipment store could not be reached).",
    },
    "sum_status": {"zh": "状态 {status}", "en": "status {status}"},
    "sum_exception": {"zh": "异常 {type}（{reason}）", "en": "issue {type} ({reason})"},
    "sum_eta": {"zh": "预计送达 {eta}", "en": "expected {eta}"},
    "sum_promised": {"zh": "承诺 {promised}", "en": "promised {promised}"},
    "sum_delivered": {"zh": "已于{time}签收（{category}）", "en": "delivered {time} ({category})"},
    "sum_value": {"zh": "声明价值 {value}", "en": "declared value {value}"},
    "sum_done": {"zh": "机器人已处理：{steps}。", "en": "The bot already {steps}."},
    "sum_requests": {
        "zh": "已创建工单：{refs}。",
        "en": "Cases: {refs}.",
    },
    "sum_reason": {"zh": "转人工原因：{reason}。", "en": "Handoff reason: {reason}."},
    "sum_tier": {"zh": "客户等级：{tier}。", "en": "Customer tier: {tier}."},
}
