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
  categories: "handoff_categories",
  priorities: "priorities",
  reasons: "handoff_reasons",
  agentTiers: "agent_tiers",
  channels: "channels",
  customerTiers: "customer_tiers",
  conversationStates: "conversation_states",
  handoffStatuses: "handoff_statuses",
  agentRoles: "agent_roles",
  messageRoles: "message_roles",
  languages: "languages",
  caseTypes: "case_types",
  caseStatuses: "case_statuses",
  claimStages: "claim_stages",
  remedies: "remedies",
  evidenceItems: "evidence_items",
  caseEventKinds: "case_event_kinds",
  caseDetails: "case_details",
  reportGroupings: "report_groupings",
  reportMetrics: "report_metrics",
  kpiStatuses: "kpi_statuses",
  hotspotDimensions: "hotspot_dimensions",
  exceptionTypes: "exception_types",
});

/** The console's language for labels (the page's lang: zh-CN -> "zh"). */
const LANG = (document.documentElement.lang || "zh").toLowerCase().startsWith("en") ? "en" : "zh";

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
  const text = table && table.get(String(value));
  return text || String(value);
}

/** A vocabulary's values with their labels, in the server's (canonical) order. */
export function values(vocabulary) {
  const table = tables.get(vocabulary);
  return table ? [...table].map(([value, text]) => ({ value, label: text })) : [];
}
