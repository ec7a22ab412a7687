/* What the agent in charge can do with the open conversation: resolve it (the customer
 * gets the 1-5 rating question), hand it back to the bot, or escalate it one tier up
 * with a note (#escalate-dialog). Each asks first, then refreshes the lists. */
import { $, setText } from "../core/dom.js";
import { api, errorText } from "../core/api.js";
import { confirmDialog } from "../core/dialogs.js";
import { state } from "../core/store.js";
import { toast } from "../core/toast.js";
import { closeConversationView, reloadCurrent } from "./current.js";
import { loadMine } from "./mine.js";
import { loadQueue } from "./queue.js";

/** POST /api/conversations/{id}/{action}; leaves: the conversation is no longer ours afterwards. */
async function conversationAction(action, body, success, leaves) {
  const cur = state.current;
  if (!cur) return;
  try {
    await api("POST", "/api/conversations/" + encodeURIComponent(cur.id) + "/" + action, body);
  } catch (error) {
    toast(errorText(error, "操作失败"), "error");
    reloadCurrent();
    return;
  }
  toast(success);
  if (leaves && state.current && state.current.id === cur.id) closeConversationView();
  loadQueue();
  await loadMine();
  if (state.current && state.current.id === cur.id) await reloadCurrent();
}

$("resolve-button").addEventListener("click", async () => {
  if (await confirmDialog("解决并结束会话？", "客户将收到 1–5 分的满意度评价邀请。")) {
    conversationAction("resolve", undefined, "会话已解决，已邀请客户评价");
  }
});

$("handback-button").addEventListener("click", async () => {
  if (await confirmDialog("交回机器人？", "机器人会带着本次会话的上下文继续为客户服务。")) {
    conversationAction("handback", undefined, "已交回机器人");
  }
});

const escalateDialog = $("escalate-dialog");
const escalateNote = $("escalate-note");

$("escalate-button").addEventListener("click", () => {
  escalateNote.value = "";
  setText($("escalate-error"), "");
  escalateDialog.returnValue = "";
  escalateDialog.showModal();
  escalateNote.focus();
});
$("escalate-form").addEventListener("submit", (event) => {
  if (!escalateNote.value.trim()) {
    event.preventDefault();
    setText($("escalate-error"), "请填写升级说明");
    escalateNote.focus();
  }
});
escalateDialog.addEventListener("close", () => {
  if (escalateDialog.returnValue !== "confirm") return;
  conversationAction("escalate", { note: escalateNote.value.trim() }, "已升级，会话已回到上一级客服的队列", true);
});
