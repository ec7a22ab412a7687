/* Canned replies (#canned-popover): loaded once per session from
 * GET /api/canned-replies, those in the conversation's language first, filtered as the
 * agent types, arrow keys to move, Escape to close; a choice is inserted into the
 * reply box for the agent to edit and send. */
import { $, clear, h } from "../core/dom.js";
import { api, errorText, listOf } from "../core/api.js";
import { on, state } from "../core/store.js";
import { toast } from "../core/toast.js";
import { insertAtCaret } from "./composer.js";

const toggle = $("canned-toggle");
const popover = $("canned-popover");
const filter = $("canned-filter");

async function openCanned() {
  try {
    if (!state.canned) {
      state.canned = listOf(await api("GET", "/api/canned-replies"), ["items", "canned_replies", "replies"]);
    }
  } catch (error) {
    toast(errorText(error, "无法加载常用语"), "error");
    return;
  }
  popover.hidden = false;
  toggle.setAttribute("aria-expanded", "true");
  filter.value = "";
  renderCanned();
  filter.focus();
}

function closeCanned(returnFocus) {
  popover.hidden = true;
  toggle.setAttribute("aria-expanded", "false");
  if (returnFocus) toggle.focus();
}

function matches(reply, query) {
  return !query || String(reply.title || "").toLowerCase().includes(query) ||
    String(reply.text || "").toLowerCase().includes(query);
}

function renderCanned() {
  const list = $("canned-list");
  const query = filter.value.trim().toLowerCase();
  clear(list);
  const all = state.canned || [];
  const lang = state.current && state.current.conversation && state.current.conversation.language;
  const sameLanguage = all.filter((c) => !c.language || !lang || c.language === lang);
  const items = (sameLanguage.length ? sameLanguage : all).filter((c) => matches(c, query));
  if (!items.length) {
    list.appendChild(h("li", { class: "empty" }, "没有匹配的常用语"));
    return;
  }
  for (const reply of items) {
    list.appendChild(h("li", null, h("button", { type: "button", "data-testid": "canned-item",
      "data-canned-id": reply.id, onclick: () => {
        closeCanned(false);
        insertAtCaret(reply.text || "");
      } },
    h("span", { class: "title" }, reply.title || ""), h("span", { class: "text" }, reply.text || ""))));
  }
}

toggle.addEventListener("click", () => {
  if (popover.hidden) openCanned();
  else closeCanned(true);
});
filter.addEventListener("input", renderCanned);
popover.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    closeCanned(true);
    return;
  }
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const buttons = [...popover.querySelectorAll("button[data-canned-id]")];
    if (!buttons.length) return;
    event.preventDefault();
    let index = buttons.indexOf(document.activeElement);
    index = event.key === "ArrowDown" ? Math.min(buttons.length - 1, index + 1) : Math.max(0, index - 1);
    buttons[index].focus();
  }
});
document.addEventListener("click", (event) => {
  if (!popover.hidden && !popover.contains(event.target) && event.target !== toggle) closeCanned(false);
});
on("session:end", () => closeCanned(false));
