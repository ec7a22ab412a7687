/* The open conversation: loads it (GET /api/conversations/{id}), keeps state.current
 * up to date (new messages deduplicated by id, reloads after changes), remembers it
 * across reloads of the tab, and draws it with transcript.js, summary.js and notes.js.
 * Announces "current:changed" when a conversation opens or closes; reloads on
 * "current:stale". */
import { $ } from "../core/dom.js";
import { api, ApiError, errorText, listOf } from "../core/api.js";
import { emit, on, state } from "../core/store.js";
import { toast } from "../core/toast.js";
import { renderNotes } from "./notes.js";
import { renderSummary } from "./summary.js";
import { renderMessage, resetTranscript, scrollTranscript } from "./transcript.js";

const OPEN_KEY = "suda-console-open";

function remember(cid) {
  try {
    if (cid) sessionStorage.setItem(OPEN_KEY, cid);
    else sessionStorage.removeItem(OPEN_KEY);
  } catch (e) {
    /* storage unavailable */
  }
}

function remembered() {
  try {
    return sessionStorage.getItem(OPEN_KEY);
  } catch (e) {
    return null;
  }
}

function fetchConversation(cid) {
  return api("GET", "/api/conversations/" + encodeURIComponent(cid));
}

function showPanels(open) {
  $("no-conversation").hidden = open;
  $("conversation-view").hidden = !open;
  $("notes-panel").hidden = !open;
  $("view-conversations").classList.toggle("no-notes", !open);
}

/** Add a message to the open conversation (ignored if it belongs elsewhere or is already shown). */
export function receiveMessage(message, initial = false) {
  const cur = state.current;
  if (!cur || !message) return;
  if (message.conversation_id && message.conversation_id !== cur.id) return;
  const key = message.id !== undefined && message.id !== null ? String(message.id) : null;
  if (key && cur.ids.has(key)) return;
  if (key) cur.ids.add(key);
  cur.messages.push(message);
  renderMessage(message, key, initial);
}

/** Open a conversation; quiet: no focus change and no error notice (restoring after a reload). */
export async function openConversation(cid, { quiet = false } = {}) {
  if (!cid) return;
  try {
    const data = await fetchConversation(cid);
    state.current = { id: cid, conversation: data.conversation || {}, handoff: data.handoff || null,
      messages: [], ids: new Set(), notes: listOf(data.notes, []) };
    remember(cid);
    delete state.unread[cid];
    showPanels(true);
    resetTranscript();
    listOf(data.messages, []).forEach((m) => receiveMessage(m, true));
    renderSummary();
    renderNotes();
    emit("current:changed");
    scrollTranscript();
    if (!quiet) $("reply-input").focus();
  } catch (error) {
    if (quiet) {
      remember(null);
      return;
    }
    toast(errorText(error, "无法打开会话"), "error");
  }
}

/** Fetch the open conversation again (state, handoff, notes, messages missed). */
export async function reloadCurrent() {
  if (!state.current) return;
  const cid = state.current.id;
  try {
    const data = await fetchConversation(cid);
    if (!state.current || state.current.id !== cid) return;
    state.current.conversation = data.conversation || state.current.conversation;
    state.current.handoff = data.handoff || null;
    state.current.notes = listOf(data.notes, []);
    listOf(data.messages, []).forEach((m) => receiveMessage(m));
    renderSummary();
    renderNotes();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 404) &&
        state.current && state.current.id === cid) {
      toast("该会话已不在您的接待范围内（可能已结束或转给其他客服）");
      closeConversationView();
    }
  }
}

/** Close the open conversation (it stays in "my conversations" if it is still ours). */
export function closeConversationView() {
  state.current = null;
  remember(null);
  showPanels(false);
  emit("current:changed");
}

/** Open the conversation that was open before the tab reloaded, if any. */
export function restoreConversation() {
  const last = remembered();
  if (last) openConversation(last, { quiet: true });
}

/** Draw the empty state (signed out, or nothing open yet) without forgetting the remembered id. */
export function resetConversationView() {
  showPanels(false);
  resetTranscript();
}

$("close-view").addEventListener("click", closeConversationView);
on("current:stale", () => reloadCurrent());
on("labels:loaded", () => renderSummary());
