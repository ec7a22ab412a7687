/* The case list: filters (status, type, owner, overdue), rows ordered by due time with a
 * live countdown (core/sla.js) and the overdue ones highlighted; the number of overdue
 * cases on the view's tab and next to the queue. */
import { api, errorText } from "../core/api.js";
import { $, clear, h, setText } from "../core/dom.js";
import { label, values, VOCAB } from "../core/labels.js";
import { slaNode } from "../core/sla.js";
import { on, state } from "../core/store.js";
import { toast } from "../core/toast.js";

const filters = { status: "active", type: "", owner: "", overdue: false };
let items = [];
let listNode = null;
let emptyNode = null;
let onOpen = () => {};
let selectedId = null;
let loading = null;

function option(value, text, selected) {
  return h("option", { value, selected: selected ? true : null }, text);
}

function select(testid, labelText, options, key) {
  const node = h("select", { "data-testid": testid, "aria-label": labelText,
    onchange: (e) => { filters[key] = e.target.value; loadCases(); } }, options);
  return h("label", { class: "case-filter" }, labelText + " ", node);
}

function typeOptions() {
  const known = values(VOCAB.caseTypes);
  return [option("", "全部类型", filters.type === "")].concat(
    known.map((v) => option(v.value, v.label, filters.type === v.value)));
}

function statusOptions() {
  const known = values(VOCAB.caseStatuses);
  return [option("active", "未完成", filters.status === "active"), option("", "全部状态", filters.status === "")]
    .concat(known.map((v) => option(v.value, v.label, filters.status === v.value)));
}

let filterBar = null;

function renderFilters() {
  if (!filterBar) return;
  clear(filterBar);
  filterBar.append(
    select("cases-filter-status", "状态", statusOptions(), "status"),
    select("cases-filter-type", "类型", typeOptions(), "type"),
    select("cases-filter-owner", "负责人", [option("", "全部", filters.owner === ""),
      option("me", "我的", filters.owner === "me"), option("none", "未指派", filters.owner === "none")], "owner"),
    h("label", { class: "case-filter" }, h("input", { type: "checkbox", "data-testid": "cases-filter-overdue",
      checked: filters.overdue ? true : null, onchange: (e) => { filters.overdue = e.target.checked; loadCases(); } }),
    " 仅看逾期"));
}

export function mountList(root, open) {
  onOpen = open;
  filterBar = h("div", { class: "case-filters", "data-testid": "cases-filters" });
  listNode = h("ul", { class: "item-list case-list", "data-testid": "case-list", "aria-live": "polite" });
  emptyNode = h("p", { class: "empty", "data-testid": "cases-empty" }, "没有符合条件的工单");
  root.append(h("h2", { class: "panel-title" }, "工单 ", h("span", { class: "count", "data-testid": "cases-count" }, "0")),
    filterBar, listNode, emptyNode);
  renderFilters();
  render();
}

on("labels:loaded", () => { renderFilters(); render(); });

function query() {
  const params = new URLSearchParams();
  if (filters.status) params.set("status", filters.status);
  if (filters.type) params.set("type", filters.type);
  if (filters.owner) params.set("owner", filters.owner);
  if (filters.overdue) params.set("overdue", "true");
  return params.toString();
}

/** Reload the list (coalesced while a request is on its way). */
export function loadCases() {
  if (!state.token) return Promise.resolve();
  if (loading) return loading;
  loading = Promise.all([api("GET", "/api/cases?" + query()), api("GET", "/api/cases?status=active&overdue=true")])
    .then(([data, overdue]) => {
      items = (data && data.items) || [];
      renderBadges(((overdue && overdue.items) || []).length);
      render();
    })
    .catch((error) => toast(errorText(error, "工单加载失败"), "error"))
    .finally(() => { loading = null; });
  return loading;
}

export function resetCases() {
  items = [];
  selectedId = null;
  render();
  renderBadges(0);
}

export function markSelected(id) {
  selectedId = id;
  if (!listNode) return;
  for (const node of listNode.children) node.classList.toggle("selected", node.getAttribute("data-case-id") === String(id));
}

let lastOverdue = 0;
// The tabs are redrawn when the view changes: put the badge back.
window.addEventListener("hashchange", () => setTimeout(() => renderBadges(lastOverdue), 0));

function renderBadges(count) {
  lastOverdue = count;
  const tab = document.querySelector("[data-testid=nav-cases]");
  if (tab) {
    let badge = tab.querySelector(".count");
    if (!badge) { badge = h("span", { class: "count overdue-count", "data-testid": "nav-cases-overdue" }); tab.append(" ", badge); }
    setText(badge, count);
    badge.hidden = count === 0;
  }
  const title = $("queue-title");
  if (title) {
    let badge = title.querySelector("[data-testid=queue-overdue-cases]");
    if (!badge) {
      badge = h("a", { href: "#cases", class: "overdue-badge", "data-testid": "queue-overdue-cases",
        title: "逾期工单" });
      title.append(" ", badge);
    }
    setText(badge, "逾期工单 " + count);
    badge.hidden = count === 0;
  }
}

function row(item) {
  const node = h("li", { class: "queue-item case-item" + (item.overdue ? " breached" : "") + (item.id === selectedId ? " selected" : ""),
    "data-testid": "case-item", "data-case-id": item.id, "data-reference": item.reference, "data-status": item.status,
    "data-overdue": item.overdue ? "1" : "0", tabindex: "0",
    onclick: () => onOpen(item.id), onkeydown: (e) => { if (e.key === "Enter") onOpen(item.id); } },
  h("div", { class: "item-head" },
    h("strong", { class: "mono", "data-testid": "case-reference" }, item.reference),
    h("span", { class: "tag" }, label(VOCAB.caseTypes, item.type)),
    h("span", { class: "badge priority-" + item.priority }, label(VOCAB.priorities, item.priority))),
  h("div", { class: "item-meta" },
    h("span", { class: "tag tag-state", "data-testid": "case-status" }, label(VOCAB.caseStatuses, item.status)),
    item.stage ? h("span", { class: "tag tag-outline" }, label(VOCAB.claimStages, item.stage)) : null,
    h("span", { class: "muted" }, item.owner ? "负责人：" + item.owner : "未指派")),
  h("div", { class: "item-meta" },
    (item.tracking_numbers || []).length ? h("span", { class: "mono" }, item.tracking_numbers.join(" ")) : null,
    item.status === "resolved" || item.status === "closed" || item.status === "waiting_customer"
      ? h("span", { class: "muted" }, item.status === "waiting_customer" ? "等待客户（计时暂停）" : "已完成")
      : slaNode(item.due_at, item.overdue, "case-due")));
  return node;
}

function render() {
  if (!listNode) return;
  clear(listNode);
  for (const item of items) listNode.appendChild(row(item));
  emptyNode.hidden = items.length > 0;
  const count = document.querySelector("[data-testid=cases-count]");
  if (count) setText(count, items.length);
}
