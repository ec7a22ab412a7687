/* The head of the open conversation (#handoff-summary): priority, category, tier,
 * state, SLA, reason, tracking numbers, customer, channel, the bot's summary; the
 * banner that explains why the agent cannot reply; and which controls are enabled
 * (only the agent in charge, or a supervisor, can reply and act). */
import { $, setText } from "../core/dom.js";
import { label, VOCAB } from "../core/labels.js";
import { updateSla } from "../core/sla.js";
import { state } from "../core/store.js";
import { nearBottom, scrollTranscript } from "./transcript.js";

const CONTROLS = ["reply-input", "reply-send", "canned-toggle", "escalate-button", "resolve-button", "handback-button"];

function customerText(conv, handoff) {
  const sender = conv.sender_id ? String(conv.sender_id) : "";
  const who = [sender ? "访客 " + (sender.length > 12 ? sender.slice(0, 8) + "…" : sender) : "—"];
  if (handoff.customer_tier) who.push("客户等级：" + label(VOCAB.customerTiers, handoff.customer_tier));
  who.push(conv.verified ? "已验证身份" : "未验证（个人信息已脱敏）");
  return who.join(" · ");
}

function renderSla(handoff) {
  const sla = $("summary-sla");
  sla.setAttribute("data-sla-due", handoff.sla_due_at || "");
  sla.setAttribute("data-sla-breached", handoff.sla_breached ? "1" : "");
  if (handoff.first_agent_response_at) sla.setAttribute("data-sla-done", "responded");
  else if (handoff.status && handoff.status !== "waiting" && handoff.status !== "assigned") {
    sla.setAttribute("data-sla-done", "closed");
  } else sla.removeAttribute("data-sla-done");
  updateSla(sla);
}

function notice(conv, inCharge) {
  switch (conv.state) {
    case "csat_pending": return "会话已解决，已向客户发送满意度评价。";
    case "closed": return conv.csat ? "会话已结束，客户满意度评分：" + conv.csat + "/5。" : "会话已结束。";
    case "bot": return "会话已交回机器人处理。";
    case "queued": return "会话在排队中，接入后才能回复。";
    case "ticket": return "客户在非工作时间留言，请通过留言工单跟进。";
    case "agent": return inCharge ? null : "该会话由其他客服接待中。";
    default: return null;
  }
}

/** Draw the head of state.current and enable the controls the agent may use. */
export function renderSummary() {
  const cur = state.current;
  if (!cur) return;
  const conv = cur.conversation || {};
  const ho = cur.handoff || {};
  const priority = $("summary-priority");
  setText(priority, ho.priority ? label(VOCAB.priorities, ho.priority) : "—");
  priority.setAttribute("data-priority", ho.priority || "normal");
  setText($("summary-category"), label(VOCAB.categories, ho.category));
  setText($("summary-tier"), ho.tier ? "T" + ho.tier + " " + label(VOCAB.agentTiers, ho.tier) : "—");
  setText($("summary-state"), label(VOCAB.conversationStates, conv.state));
  setText($("summary-reason"), label(VOCAB.reasons, ho.reason));
  const tns = ho.tracking_numbers || [];
  setText($("summary-tracking"), tns.length ? tns.join("、") : "—");
  $("summary-customer").title = conv.sender_id ? String(conv.sender_id) : "";
  setText($("summary-customer"), customerText(conv, ho));
  setText($("summary-channel"), label(VOCAB.channels, conv.channel) +
    (conv.language ? " · " + label(VOCAB.languages, conv.language) : ""));
  setText($("summary-text"), ho.summary || "");
  renderSla(ho);

  const me = state.me;
  const inCharge = conv.state === "agent" &&
    (!ho.agent_id || !me || ho.agent_id === me.id || me.role === "supervisor");
  const text = notice(conv, inCharge);
  const atBottom = nearBottom();
  const banner = $("closed-banner");
  banner.hidden = !text;
  setText(banner, text || "");
  if (atBottom) scrollTranscript();
  for (const id of CONTROLS) $(id).disabled = !inCharge;
}
