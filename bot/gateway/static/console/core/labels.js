/* Labels of the server's vocabularies, from GET /api/labels (built from bot/contract.py):
 *   {"<vocabulary>": [{"value": "...", "label": {"zh": "...", "en": "..."}}, ...], ...}
 * in canonical order (priorities most urgent first). The console keeps no label maps
 * of its own: label(VOCAB.channels, "wecom") gives the server's word, and a value the
 * server did not label is shown as itself, so a new value is readable, never "undefined".
 *
 * Use VOCAB's names rather than the raw keys, so a renamed vocabulary is one edit here. */
import { api } from "./api.js";
import { emit } from "./store.js";

export const VOCAB = Object.freeze({
  categories: "categories",
  priorities: "priorities",
  reasons: "handoff_reasons",
  channels: "channels",
  customerTiers: "customer_tiers",
  agentTiers: "agent_tiers",
  conversationStates: "conversation_states",
  handoffStatuses: "handoff_statuses",
  caseTypes: "case_types",
  caseStatuses: "case_statuses",
  claimStages: "claim_stages",
  remedies: "remedies",
  evidenceItems: "evidence_items",
  caseEventKinds: "case_event_kinds",
  actorTypes: "actor_types",
});

/** The console's language for labels (the page's lang: zh-CN -> "zh"). */
const LANG = (document.documentElement.lang || "zh").toLowerCase().startsWith("en") ? "en" : "zh";

// TEMPORARY (issue 7): the console's former maps, used only until GET /api/labels is
// served by the gateway; removed once it is on main.
const FALLBACK = {
  [VOCAB.categories]: { delay: "延误", damage: "破损", loss: "丢件", refused: "拒收", address: "地址问题",
    customs: "清关", consultation: "咨询", complaint: "投诉" },
  [VOCAB.priorities]: { urgent: "紧急", high: "高", normal: "普通" },
  [VOCAB.agentTiers]: { 1: "一线", 2: "专家", 3: "主管" },
  [VOCAB.conversationStates]: { bot: "机器人接待", queued: "排队中", agent: "人工接待中",
    csat_pending: "已解决 · 待评价", ticket: "已留言", closed: "已结束" },
  [VOCAB.channels]: { socketio: "网页客服", rest: "REST 接口", wechat: "微信公众号", web: "网页客服" },
  [VOCAB.reasons]: { customer_request: "客户要求人工服务", complaint: "客户投诉",
    repeated_misunderstanding: "机器人连续未能理解", high_value_claim: "高价值包裹理赔",
    urgent_medical: "急需药品/医疗物资", verification_failed: "手机号验证多次未通过",
    vip: "VIP/企业客户包裹异常", escalated: "升级处理", escalation: "升级处理",
    requeued: "重新排队", bot_unavailable: "机器人服务异常", rasa_unavailable: "机器人服务异常" },
  [VOCAB.customerTiers]: { vip: "VIP 客户", enterprise: "企业客户", standard: "普通客户", normal: "普通客户",
    unknown: "客户等级未知" },
};

let tables = new Map(); // vocabulary -> Map(String(value) -> text), in the server's order
let loaded = false;

function textOf(entryLabel) {
  if (typeof entryLabel === "string") return entryLabel;
  if (!entryLabel || typeof entryLabel !== "object") return null;
  const text = entryLabel[LANG] || entryLabel.zh || entryLabel.en;
  return typeof text === "string" && text ? text : null;
}

function parse(data) {
  const parsed = new Map();
  if (!data || typeof data !== "object") return parsed;
  for (const [vocabulary, entries] of Object.entries(data)) {
    if (!Array.isArray(entries)) continue;
    const table = new Map();
    for (const entry of entries) {
      if (!entry || typeof entry !== "object" || entry.value === null || entry.value === undefined) continue;
      const value = String(entry.value);
      table.set(value, textOf(entry.label) || value);
    }
    parsed.set(vocabulary, table);
  }
  return parsed;
}

/** Fetch the labels; resolves true when they arrived (and announces "labels:loaded"), false if not. */
export async function loadLabels() {
  try {
    tables = parse(await api("GET", "/api/labels"));
    loaded = true;
  } catch (error) {
    return false;
  }
  emit("labels:loaded");
  return true;
}

/** Fetch the labels unless they are already here (after a failed first try). */
export function ensureLabels() {
  return loaded ? Promise.resolve(true) : loadLabels();
}

/** The label of a value: the server's word, else the value itself; "—" for no value. */
export function label(vocabulary, value) {
  if (value === null || value === undefined || value === "") return "—";
  const table = tables.get(vocabulary);
  const fallback = FALLBACK[vocabulary] || {};
  const key = String(value);
  const text = (table && table.get(key)) || (Object.prototype.hasOwnProperty.call(fallback, key) ? fallback[key] : null);
  return text || key;
}

/** A vocabulary's values with their labels, in the server's (canonical) order. */
export function values(vocabulary) {
  const table = tables.get(vocabulary);
  return table ? [...table].map(([value, text]) => ({ value, label: text })) : [];
}
