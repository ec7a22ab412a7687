/* The transcript of the open conversation (#transcript): one bubble per message, kept
 * in message-id order (live events and fetches may cross), scrolled to the newest
 * message when the agent was already reading the end or wrote the message. */
import { $, append, clear, h } from "../core/dom.js";
import { clock, parseTime } from "../core/format.js";
import { label, VOCAB } from "../core/labels.js";

// A widget payload (e.g. "/greet" when the chat opens) rather than typed text.
const PAYLOAD = /^\/[A-Za-z_][\w.]*(\{.*\})?$/;
const NUMERIC_ID = /^\d+$/;

function transcript() {
  return $("transcript");
}

/** The role a message is drawn as: customer | bot | agent | system. */
export function roleOf(message) {
  const role = message.role || "system";
  return role === "user" ? "customer" : role;
}

/** Whether the agent is reading the end of the transcript. */
export function nearBottom() {
  const node = transcript();
  return node.scrollHeight - node.scrollTop - node.clientHeight < 80;
}

export function scrollTranscript() {
  const node = transcript();
  node.scrollTop = node.scrollHeight;
}

/** Empty the transcript (another conversation opens). */
export function resetTranscript() {
  clear(transcript());
}

function speaker(message, role, isPayload) {
  let who = label(VOCAB.messageRoles, role);
  if (role === "agent" && message.agent) who += " " + message.agent;
  return isPayload ? who + " · 快捷指令" : who;
}

function bubbleOf(message) {
  const bubble = h("div", { class: "bubble", "data-testid": "message-text" });
  if (message.image && /^(https?:\/\/|\/)/i.test(String(message.image))) {
    bubble.appendChild(h("img", { src: String(message.image), alt: "图片" }));
  }
  if (message.text) append(bubble, message.text);
  else if (!message.image && message.custom) append(bubble, "[结构化消息]");
  return bubble;
}

function buttonsOf(message) {
  if (!Array.isArray(message.buttons) || !message.buttons.length) return null;
  return h("div", { class: "buttons", "aria-label": "机器人提供的选项" },
    message.buttons.map((b) => h("span", null, (b && (b.title || b.payload)) || "")));
}

/** Insert after the last bubble with a smaller numeric id; true when placed. */
function placeInOrder(node, key) {
  const list = transcript();
  if (!key || !NUMERIC_ID.test(key)) return false;
  let after = list.lastElementChild;
  while (after) {
    const id = after.getAttribute("data-message-id");
    if (!id || !NUMERIC_ID.test(id) || Number(id) < Number(key)) break;
    after = after.previousElementSibling;
  }
  if (after === list.lastElementChild) return false;
  list.insertBefore(node, after ? after.nextSibling : list.firstChild);
  return true;
}

/** Draw one message (key: its id as a string, or null); initial: part of the first load. */
export function renderMessage(message, key, initial) {
  const role = roleOf(message);
  const isPayload = role === "customer" && PAYLOAD.test(String(message.text || ""));
  const node = h("div", { class: "msg " + role + (isPayload ? " payload" : ""), "data-testid": "message",
    "data-role": role, "data-message-id": key },
  h("div", { class: "meta" }, h("span", null, speaker(message, role, isPayload)),
    h("time", { datetime: message.created_at || null }, clock(parseTime(message.created_at)))),
  bubbleOf(message), buttonsOf(message));
  const wasNearBottom = nearBottom();
  if (!placeInOrder(node, key)) transcript().appendChild(node);
  if (!initial && (wasNearBottom || role === "agent")) scrollTranscript();
}
