/* The handoff queue (#queue-list): waiting customers in the server's order (priority,
 * then waiting time) with their wait and SLA timers, and claiming one
 * (POST /api/handoffs/{id}/claim), which opens the conversation. The queue count also
 * goes into the tab title. */
import { $, clear, cssEscape, h, setText } from "../core/dom.js";
import { api, errorText, listOf } from "../core/api.js";
import { waitText } from "../core/format.js";
import { label, VOCAB } from "../core/labels.js";
import { slaNode, updateSla } from "../core/sla.js";
import { on, state } from "../core/store.js";
import { toast } from "../core/toast.js";
import { openConversation } from "./current.js";
import { loadMine } from "./mine.js";

const TITLE = "客服工作台 · 速达快递";

function handoffId(item) {
  return item.handoff_id !== undefined ? item.handoff_id : item.id;
}

/** Fetch the queue again (errors are left to the next event or refresh). */
export async function loadQueue() {
  if (!state.token) return;
  try {
    state.queue = listOf(await api("GET", "/api/queue"), ["items", "queue"]);
    renderQueue();
  } catch (e) {
    /* the next event or refresh tries again */
  }
}

let soon = null;

/** Several events in a burst: one fetch. */
export function loadQueueSoon() {
  if (soon) return;
  soon = setTimeout(() => {
    soon = null;
    loadQueue();
  }, 300);
}

async function claim(item, button) {
  button.disabled = true;
  try {
    await api("POST", "/api/handoffs/" + encodeURIComponent(handoffId(item)) + "/claim");
  } catch (error) {
    button.disabled = false;
    toast(errorText(error, "接入失败"), "error");
    loadQueue();
    return;
  }
  toast("已接入会话");
  loadQueue();
  await loadMine();
  await openConversation(item.conversation_id);
}

function queueItem(item) {
  const hid = handoffId(item);
  const tier = item.tier || 1;
  const claimButton = h("button", { type: "button", class: "btn btn-primary btn-sm", "data-testid": "queue-claim",
    "data-handoff-id": hid, "aria-label": "接入 " + label(VOCAB.reasons, item.reason) + " 的客户",
    onclick: () => claim(item, claimButton) }, "接入");
  return h("li", { class: "queue-item", "data-testid": "queue-item", "data-handoff-id": hid,
    "data-conversation-id": item.conversation_id, "data-priority": item.priority },
  h("div", { class: "row" },
    h("span", { class: "badge", "data-priority": item.priority, "data-testid": "queue-priority" },
      label(VOCAB.priorities, item.priority)),
    h("span", { class: "tag", "data-testid": "queue-category" }, label(VOCAB.categories, item.category)),
    h("span", { class: "tag tag-outline", title: "需要的客服级别" }, "T" + tier + " " + label(VOCAB.agentTiers, tier)),
    h("span", { class: "reason", "data-testid": "queue-reason" }, label(VOCAB.reasons, item.reason))),
  item.preview ? h("div", { class: "row" },
    h("span", { class: "preview", "data-testid": "queue-preview", title: item.preview }, item.preview)) : null,
  item.tracking_numbers && item.tracking_numbers.length
    ? h("div", { class: "row mono small" }, item.tracking_numbers.join("、")) : null,
  h("div", { class: "row" },
    h("span", { class: "timers" },
      h("span", null, "已等待 ", h("strong", { "data-wait-since": item.waiting_since, "data-testid": "queue-wait" },
        waitText(item.waiting_since))),
      slaNode(item.sla_due_at, item.sla_breached, "queue-sla")),
    claimButton));
}

/** Draw state.queue (keeps keyboard focus on the same claim button). */
export function renderQueue() {
  const list = $("queue-list");
  const focused = document.activeElement && document.activeElement.getAttribute("data-handoff-id");
  clear(list);
  for (const item of state.queue) {
    const li = queueItem(item);
    list.appendChild(li);
    updateSla(li.querySelector("[data-sla-due]")); // now inside its item: marks the item too
  }
  setText($("queue-count"), state.queue.length);
  $("queue-empty").hidden = state.queue.length > 0;
  document.title = (state.queue.length ? "(" + state.queue.length + ") " : "") + TITLE;
  if (focused) {
    const again = list.querySelector('button[data-handoff-id="' + cssEscape(focused) + '"]');
    if (again) again.focus();
  }
}

on("labels:loaded", renderQueue);
on("session:end", () => {
  clearTimeout(soon);
  soon = null;
  renderQueue();
  document.title = TITLE;
});
