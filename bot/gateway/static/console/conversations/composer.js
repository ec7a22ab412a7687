/* The reply box (#reply-form): Enter sends (not while an input method is composing),
 * Shift+Enter starts a new line; the reply goes to the customer's channel through
 * POST /api/conversations/{id}/messages and appears in the transcript. */
import { $ } from "../core/dom.js";
import { api, errorText } from "../core/api.js";
import { state } from "../core/store.js";
import { toast } from "../core/toast.js";
import { receiveMessage, reloadCurrent } from "./current.js";

const input = $("reply-input");
let sending = false;

async function sendReply() {
  const cur = state.current;
  const text = input.value.trim();
  if (!cur || !text || sending || input.disabled) return;
  sending = true;
  $("reply-send").disabled = true;
  try {
    const data = await api("POST", "/api/conversations/" + encodeURIComponent(cur.id) + "/messages", { text });
    if (input.value.trim() === text) input.value = "";
    const stillOpen = state.current && state.current.id === cur.id;
    if (data && data.message && stillOpen) receiveMessage(data.message);
    if (stillOpen && !(state.current.handoff || {}).first_agent_response_at) reloadCurrent(); // first reply: SLA met
  } catch (error) {
    toast(errorText(error, "发送失败"), "error");
  } finally {
    sending = false;
    $("reply-send").disabled = input.disabled;
    input.focus();
  }
}

/** Put text into the reply box at the caret (replacing the selection). */
export function insertAtCaret(text) {
  let start = input.selectionStart;
  let end = input.selectionEnd;
  const value = input.value;
  if (typeof start !== "number") start = end = value.length;
  input.value = value.slice(0, start) + text + value.slice(end);
  input.focus();
  const caret = start + text.length;
  input.setSelectionRange(caret, caret);
}

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    sendReply();
  }
});
$("reply-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sendReply();
});
