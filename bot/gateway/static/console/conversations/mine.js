/* "My conversations" (#mine-list): the agent's assigned conversations (a supervisor's
 * view: every open one), with an unread dot and the customer's latest words. */
import { $, clear, cssEscape, h, setText } from "../core/dom.js";
import { api, listOf } from "../core/api.js";
import { label, VOCAB } from "../core/labels.js";
import { on, state } from "../core/store.js";
import { openConversation } from "./current.js";

function conversationId(item) {
  if (!item) return null;
  if (item.conversation_id) return item.conversation_id;
  if (item.conversation && item.conversation.id) return item.conversation.id;
  return item.id;
}

/** Fetch the list again (errors are left to the next event or refresh). */
export async function loadMine() {
  if (!state.token) return;
  try {
    state.mine = listOf(await api("GET", "/api/conversations"), ["items", "conversations"]);
    renderMine();
  } catch (e) {
    /* retried later */
  }
}

/** A customer wrote in this conversation: show the words as its preview. */
export function updatePreview(cid, text) {
  for (const item of state.mine) if (conversationId(item) === cid) item.preview = text;
  renderMine();
}

function itemButton(item) {
  const cid = conversationId(item);
  const conv = item.conversation || item;
  const handoff = item.handoff || item;
  const active = Boolean(state.current && state.current.id === cid);
  const supervisor = Boolean(state.me && state.me.role === "supervisor");
  return h("button", { type: "button", "data-conversation-id": cid, "aria-current": active ? "true" : null,
    onclick: () => openConversation(cid) },
  h("div", { class: "row" },
    handoff.priority ? h("span", { class: "badge", "data-priority": handoff.priority },
      label(VOCAB.priorities, handoff.priority)) : null,
    handoff.category ? h("span", { class: "tag" }, label(VOCAB.categories, handoff.category)) : null,
    h("span", { class: "reason" }, handoff.reason ? label(VOCAB.reasons, handoff.reason) : "访客会话"),
    state.unread[cid] ? h("span", { class: "unread", title: "有新消息", "aria-label": "有新消息",
      "data-testid": "unread-dot" }) : null),
  (conv.state && conv.state !== "agent") || supervisor
    ? h("div", { class: "row small muted" }, label(VOCAB.conversationStates, conv.state) +
        (handoff.agent && conv.state === "agent" ? " · " + handoff.agent : ""))
    : null,
  h("div", { class: "row" }, h("span", { class: "preview" },
    item.preview || item.last_message || label(VOCAB.conversationStates, conv.state || item.state))));
}

/** Draw state.mine (keeps keyboard focus on the same conversation). */
export function renderMine() {
  const list = $("mine-list");
  const focusedId = document.activeElement && document.activeElement.getAttribute("data-conversation-id");
  clear(list);
  for (const item of state.mine) {
    const cid = conversationId(item);
    const active = Boolean(state.current && state.current.id === cid);
    list.appendChild(h("li", { class: "mine-item" + (active ? " active" : ""), "data-testid": "my-conversation-item",
      "data-conversation-id": cid }, itemButton(item)));
  }
  setText($("mine-count"), state.mine.length);
  $("mine-empty").hidden = state.mine.length > 0;
  if (focusedId) {
    const again = list.querySelector('button[data-conversation-id="' + cssEscape(focusedId) + '"]');
    if (again) again.focus();
  }
}

on("current:changed", renderMine);
on("labels:loaded", renderMine);
on("session:start", () => {
  setText($("mine-label"), state.me && state.me.role === "supervisor" ? "进行中的会话" : "我的会话");
});
on("session:end", renderMine);
