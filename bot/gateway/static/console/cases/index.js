/* The "cases" view: every follow-up the assistant promised a customer (claims,
 * investigations, bookings, address changes, after-hours tickets, callbacks).
 *   list.js     the filtered list with due-time countdowns and overdue highlight
 *   detail.js   one case: facts, evidence thumbnails, timeline, status/stage change, reply, note
 * Live: "cases_changed" / "case_updated" / "case_overdue" events refresh what is shown;
 * overdue cases raise a toast for supervisors and a badge on the view's tab and the queue. */
import { h } from "../core/dom.js";
import { on, state } from "../core/store.js";
import { toast } from "../core/toast.js";
import { closeCase, mountDetail, openCase, reloadCase } from "./detail.js";
import { loadCases, mountList, resetCases } from "./list.js";

const REFRESH_MS = 30000;
let timer = null;
let mounted = false;

function onServerEvent(event) {
  if (!event || typeof event !== "object") return;
  if (event.type === "cases_changed" || event.type === "case_updated" || event.type === "case_overdue") {
    loadCases();
    if (event.type === "case_updated") reloadCase(event.case_id);
    else reloadCase(null);
  }
  if (event.type === "case_overdue" && event.case) {
    toast("工单 " + event.case.reference + " 已逾期，优先级已提升", "error");
  }
}

on("server:event", onServerEvent);
on("socket:reconnected", () => loadCases());
on("session:start", () => {
  loadCases();
  clearInterval(timer);
  timer = setInterval(loadCases, REFRESH_MS);
});
on("session:end", () => {
  clearInterval(timer);
  timer = null;
  resetCases();
  closeCase();
});

export const casesView = {
  id: "cases",
  title: "工单",
  mount(root) {
    root.classList.add("cases-layout");
    const listPane = h("aside", { class: "cases-list-pane", "aria-label": "工单列表" });
    const detailPane = h("main", { class: "case-detail-pane", "aria-label": "工单详情" });
    root.append(listPane, detailPane);
    mountList(listPane, (id) => openCase(id));
    mountDetail(detailPane);
    mounted = true;
  },
  show() {
    if (mounted && state.me) loadCases();
  },
};
