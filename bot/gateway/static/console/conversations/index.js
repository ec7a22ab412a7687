/* The "conversations" view: the queue and the agent's conversations on the left, the
 * open conversation in the middle, private notes on the right (#view-conversations in
 * index.html). This module wires its parts to the session and to live events:
 *   queue.js     waiting customers, claiming       mine.js      the agent's conversations
 *   current.js   the open conversation (state)     transcript.js / summary.js  drawing it
 *   composer.js  the reply box                     canned.js    canned replies
 *   notes.js     private notes                     actions.js   resolve / hand back / escalate */
import { $ } from "../core/dom.js";
import { on, state } from "../core/store.js";
import { toast } from "../core/toast.js";
import "./actions.js";
import "./canned.js";
import "./composer.js";
import { receiveMessage, reloadCurrent, resetConversationView, restoreConversation } from "./current.js";
import { loadMine, renderMine, updatePreview } from "./mine.js";
import { loadQueue, loadQueueSoon } from "./queue.js";
import { renderSummary } from "./summary.js";

const REFRESH_MS = 30000; // a safety net next to the websocket
let refreshTimer = null;

function refreshLists() {
  loadQueue();
  loadMine();
}

function onServerEvent(event) {
  const current = state.current;
  if (event.type === "queue_changed") {
    loadQueue();
  } else if (event.type === "message") {
    const cid = event.conversation_id;
    const fromCustomer = Boolean(event.message && event.message.role === "customer");
    if (current && current.id === cid && event.message) {
      receiveMessage(event.message);
    } else if (cid && fromCustomer) {
      state.unread[cid] = true;
      renderMine();
    }
    if (fromCustomer) {
      updatePreview(cid, event.message.text);
      if (state.queue.some((q) => q.conversation_id === cid)) loadQueueSoon();
    }
  } else if (event.type === "conversation_updated") {
    const isCurrent = Boolean(current && current.id === event.conversation_id);
    if (event.csat) {
      if (isCurrent) current.conversation.csat = event.csat;
      toast("客户已评价：" + event.csat + "/5");
    }
    loadMine();
    loadQueue();
    if (isCurrent && event.state === "closed") {
      // The customer's rating ended this agent's access: keep what is on screen, mark it closed.
      current.conversation.state = event.state;
      renderSummary();
    } else if (isCurrent) {
      reloadCurrent();
    }
  }
}

on("server:event", onServerEvent);
on("socket:reconnected", () => {
  refreshLists();
  if (state.current) reloadCurrent();
});
on("session:start", () => {
  refreshLists();
  clearInterval(refreshTimer);
  refreshTimer = setInterval(refreshLists, REFRESH_MS);
  restoreConversation();
});
on("session:end", () => {
  clearInterval(refreshTimer);
  refreshTimer = null;
  resetConversationView();
});

resetConversationView();

export const conversationsView = {
  id: "conversations",
  title: "会话",
  element: $("view-conversations"),
};
