/* One case: its facts, the evidence (thumbnails open the file), the timeline of every
 * change with who made it, and the agent's tools: take it, change status / stage (with
 * an internal note; the customer is told the new status), claim amount and remedy, a
 * reply that reaches the customer on their channel, an internal note. */
import { api, errorText } from "../core/api.js";
import { clear, h } from "../core/dom.js";
import { clock, parseTime } from "../core/format.js";
import { label, values, VOCAB } from "../core/labels.js";
import { slaNode } from "../core/sla.js";
import { state } from "../core/store.js";
import { toast } from "../core/toast.js";
import { loadCases, markSelected } from "./list.js";

const CLAIMS = ["damage_claim", "loss_claim", "not_received"];
// Status moves the server allows (bot/cases/vocabulary.py TRANSITIONS): only these are offered.
const NEXT = {
  open: ["in_progress", "waiting_customer", "resolved", "closed"],
  in_progress: ["waiting_customer", "resolved", "closed"],
  waiting_customer: ["in_progress", "resolved", "closed"],
  resolved: ["in_progress", "closed"],
  closed: ["in_progress"],
};
let root = null;
let current = null; // GET /api/cases/{id}

export function mountDetail(node) {
  root = node;
  render();
}

export function closeCase() {
  current = null;
  render();
}

export async function openCase(id) {
  try {
    current = await api("GET", "/api/cases/" + encodeURIComponent(id));
    markSelected(id);
    render();
  } catch (error) {
    toast(errorText(error, "工单打开失败"), "error");
  }
}

/** Reload the open case when the server says it changed (any case when id is null). */
export function reloadCase(id) {
  if (current && (id === null || id === undefined || String(id) === String(current.case.id))) openCase(current.case.id);
}

async function act(path, body, done) {
  try {
    current = await api("POST", "/api/cases/" + current.case.id + "/" + path, body);
    render();
    loadCases();
    if (done) done(current);
  } catch (error) {
    toast(errorText(error, "操作失败"), "error");
  }
}

function fact(name, value, testid) {
  return h("div", null, h("dt", null, name), h("dd", { "data-testid": testid }, value === null || value === undefined || value === "" ? "—" : value));
}

function evidence(attachments) {
  if (!attachments.length) return h("p", { class: "muted", "data-testid": "case-no-evidence" }, "客户尚未上传材料");
  return h("ul", { class: "evidence-list", "data-testid": "case-evidence" }, attachments.map((a) => {
    const caption = label(VOCAB.evidenceItems, a.item) + " · " + Math.max(1, Math.round(a.size_bytes / 1024)) + " KB";
    let media;
    if (a.media_type.startsWith("image/")) {
      media = h("img", { src: a.thumbnail_url || a.url, alt: caption, loading: "lazy", "data-testid": "evidence-thumbnail" });
    } else if (a.media_type.startsWith("video/")) {
      media = h("video", { src: a.url, controls: true, preload: "metadata", "data-testid": "evidence-video" });
    } else {
      media = h("span", { class: "evidence-file" }, "📄 " + (a.original_name || a.media_type));
    }
    return h("li", { class: "evidence-item", "data-testid": "evidence-item", "data-item": a.item },
      h("a", { href: a.url, target: "_blank", rel: "noopener noreferrer" }, media), h("span", { class: "small muted" }, caption));
  }));
}

function timeline(events) {
  return h("ol", { class: "case-timeline", "data-testid": "case-timeline" }, events.map((e) => {
    const who = e.agent || label(VOCAB.messageRoles, e.actor_type);
    let change = "";
    if (e.kind === "status") change = label(VOCAB.caseStatuses, e.from) + " → " + label(VOCAB.caseStatuses, e.to);
    else if (e.kind === "stage") change = label(VOCAB.claimStages, e.from) + " → " + label(VOCAB.claimStages, e.to);
    else if (e.kind === "evidence") change = label(VOCAB.evidenceItems, e.to);
    else if (e.to && e.kind !== "linked" && e.kind !== "created") change = e.to;
    return h("li", { class: "timeline-item kind-" + e.kind + (e.customer_visible ? " visible" : ""),
      "data-testid": "timeline-item", "data-kind": e.kind },
    h("span", { class: "small muted" }, clock(parseTime(e.at))), " ",
    h("strong", null, label(VOCAB.caseEventKinds, e.kind)), " · ", h("span", null, who),
    change ? h("span", { class: "timeline-change" }, " " + change) : null,
    e.text ? h("p", { class: "timeline-text" }, e.text) : null);
  }));
}

function statusForm(c) {
  const status = h("select", { "data-testid": "case-status-select", "aria-label": "新状态" },
    h("option", { value: "" }, "保持" + label(VOCAB.caseStatuses, c.status)),
    (NEXT[c.status] || []).map((s) => h("option", { value: s }, label(VOCAB.caseStatuses, s))));
  const claim = CLAIMS.includes(c.type);
  const stage = claim ? h("select", { "data-testid": "case-stage-select", "aria-label": "理赔阶段" },
    h("option", { value: "" }, "阶段不变"),
    values(VOCAB.claimStages).filter((s) => s.value !== c.stage).map((s) => h("option", { value: s.value }, s.label))) : null;
  const note = h("textarea", { rows: 2, placeholder: "内部备注（客户不可见）", "data-testid": "case-status-note" });
  const amount = claim ? h("input", { type: "number", min: "0", step: "0.01", placeholder: "金额", value: c.amount || "",
    "data-testid": "case-amount" }) : null;
  const remedy = claim ? h("select", { "data-testid": "case-remedy", "aria-label": "处理方式" },
    h("option", { value: "" }, c.remedy ? label(VOCAB.remedies, c.remedy) : "处理方式"),
    values(VOCAB.remedies).map((r) => h("option", { value: r.value }, r.label))) : null;
  const submit = (e) => {
    e.preventDefault();
    const body = {};
    if (status.value) body.status = status.value;
    if (stage && stage.value) body.stage = stage.value;
    if (note.value.trim()) body.note = note.value.trim();
    if (amount && amount.value !== "" && amount.value !== String(c.amount || "")) body.amount = amount.value;
    if (remedy && remedy.value) body.remedy = remedy.value;
    if (!Object.keys(body).length) { toast("请选择要变更的内容", "error"); return; }
    act("status", body, (result) => {
      toast(result.delivered === false && (body.status || body.stage) ? "已更新，但消息暂未送达客户" : "已更新");
    });
  };
  return h("form", { class: "case-form", "data-testid": "case-status-form", onsubmit: submit },
    h("div", { class: "case-form-row" }, status, stage, amount, remedy), note,
    h("button", { type: "submit", class: "btn btn-primary", "data-testid": "case-status-submit" }, "更新状态"));
}

function replyForm() {
  const text = h("textarea", { rows: 3, placeholder: "回复客户（会发送到客户所在的渠道）", "data-testid": "case-reply-input" });
  return h("form", { class: "case-form", "data-testid": "case-reply-form", onsubmit: (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    act("reply", { text: value }, (result) => {
      text.value = "";
      toast(result.delivered ? "已发送给客户" : "消息已保存，客户上线后可见");
    });
  } }, text, h("button", { type: "submit", class: "btn", "data-testid": "case-reply-send" }, "回复客户"));
}

function noteForm() {
  const text = h("textarea", { rows: 2, placeholder: "内部备注", "data-testid": "case-note-input" });
  return h("form", { class: "case-form", onsubmit: (e) => {
    e.preventDefault();
    if (text.value.trim()) act("notes", { text: text.value.trim() }, () => { text.value = ""; });
  } }, text, h("button", { type: "submit", class: "btn btn-ghost", "data-testid": "case-note-add" }, "添加备注"));
}

function render() {
  if (!root) return;
  clear(root);
  if (!current) {
    root.append(h("div", { class: "placeholder", "data-testid": "case-placeholder" }, h("p", null, "从左侧选择一个工单查看详情。")));
    return;
  }
  const c = current.case;
  const mine = state.me && c.owner_id === state.me.id;
  const details = Object.entries(c.details || {})
    .filter(([, v]) => v !== null && v !== "" && (typeof v !== "object" || Array.isArray(v)))
    .map(([k, v]) => fact(label(VOCAB.caseDetails, k), Array.isArray(v) ? v.join("、") : String(v)));
  const due = c.status === "resolved" || c.status === "closed" ? h("span", { class: "muted" }, "已完成")
    : c.status === "waiting_customer" ? h("span", { class: "muted" }, "等待客户（计时暂停）")
      : slaNode(c.due_at, c.overdue, "case-detail-due");
  root.append(h("section", { class: "case-detail", "data-testid": "case-detail", "data-case-id": c.id, "data-status": c.status,
    "data-stage": c.stage || "" },
  h("div", { class: "summary-head" },
    h("strong", { class: "mono", "data-testid": "case-detail-reference" }, c.reference),
    h("span", { class: "tag" }, label(VOCAB.caseTypes, c.type)),
    h("span", { class: "tag tag-state", "data-testid": "case-detail-status" }, label(VOCAB.caseStatuses, c.status)),
    c.stage ? h("span", { class: "tag tag-outline", "data-testid": "case-detail-stage" }, label(VOCAB.claimStages, c.stage)) : null,
    h("span", { class: "badge priority-" + c.priority }, label(VOCAB.priorities, c.priority)), due,
    mine ? null : h("button", { type: "button", class: "btn btn-sm", "data-testid": "case-take",
      onclick: () => act("assign", { agent_id: "me" }) }, c.owner_id ? "改为由我负责" : "由我负责")),
  h("dl", { class: "summary-grid" },
    fact("负责人", c.owner || "未指派", "case-owner"),
    fact("运单号", (c.tracking_numbers || []).join(" "), "case-tracking"),
    fact("创建时间", clock(parseTime(c.created_at))),
    fact("首次联系", c.first_response_at ? clock(parseTime(c.first_response_at)) : "尚未联系"),
    CLAIMS.includes(c.type) ? fact("金额", c.amount ? c.amount + " " + c.currency : null, "case-detail-amount") : null,
    CLAIMS.includes(c.type) ? fact("处理方式", c.remedy ? label(VOCAB.remedies, c.remedy) : null) : null,
    c.window_start ? fact("预约时段", clock(parseTime(c.window_start)) + " – " + clock(parseTime(c.window_end))) : null,
    current.csat ? fact("客户评分", current.csat + "/5", "case-csat") : null,
    details),
  h("p", { class: "summary-text", "data-testid": "case-summary" }, c.summary || ""),
  current.transcript ? h("p", { class: "small" }, "来自对话 ",
    h("span", { class: "mono" }, current.transcript.conversation_id),
    "（" + label(VOCAB.channels, current.transcript.channel) + "）") : null,
  h("h3", { class: "panel-title" }, "客户材料"), evidence(current.attachments || []),
  h("h3", { class: "panel-title" }, "处理"), statusForm(c), replyForm(), noteForm(),
  h("h3", { class: "panel-title" }, "时间线"), timeline(current.timeline || [])));
}
