/* The "reports" view (supervisors only): the service standards of a period as KPI tiles
 * against their targets, trend charts, why customers were handed off and complained,
 * satisfaction, delay hot spots and the agents' workload; a CSV of every number.
 *   filters.js  period, grouping, CSV     tiles.js   KPI tiles (traffic lights)
 *   charts.js   Chart.js charts           tables.js  hot spots, agents
 *   data.js     the reports API           format.js  numbers as people read them */
import { ApiError, errorText } from "../core/api.js";
import { h, setText } from "../core/dom.js";
import { on } from "../core/store.js";
import { toast } from "../core/toast.js";
import { CHART_TITLES, destroyCharts, renderCharts } from "./charts.js";
import { downloadCsv, loadHotspots, loadSummary } from "./data.js";
import { createFilters } from "./filters.js";
import { formatValue } from "./format.js";
import { renderAgents, renderHotspots } from "./tables.js";
import { renderTiles } from "./tiles.js";

let parts = null;
let filters = null;
let loaded = false;
let generation = 0; // a newer request wins over a slower older one

function problem(error, fallback) {
  if (error instanceof ApiError && error.body && typeof error.body.detail === "string") return error.body.detail;
  return errorText(error, fallback);
}

function panel(title, body, testid) {
  return h("section", { class: "report-panel", "data-testid": testid }, h("h2", { class: "panel-title" }, title), body);
}

function mount(root) {
  filters = createFilters(refresh, async (values) => {
    try {
      await downloadCsv(values);
    } catch (error) {
      toast(problem(error, "下载失败"), "error");
    }
  });
  const boxes = {};
  const charts = Object.entries(CHART_TITLES).map(([name, title]) => {
    boxes[name] = h("div", { class: "chart-box", "data-testid": "chart-box-" + name });
    return panel(title, boxes[name], "chart-panel-" + name);
  });
  parts = {
    root,
    status: h("p", { class: "muted small report-period", "data-testid": "report-period" }),
    tiles: h("div", { class: "kpi-grid", "data-testid": "kpi-tiles" }),
    boxes,
    hotspots: h("div", { "data-testid": "hotspots" }),
    agents: h("div", { "data-testid": "agents" }),
  };
  root.appendChild(h("div", { class: "reports", "data-testid": "reports" },
    h("header", { class: "reports-head" }, h("h1", null, "服务报表"), parts.status),
    filters.element,
    parts.tiles,
    h("div", { class: "chart-grid" }, charts),
    panel("延误热点（近 7 天）", parts.hotspots, "hotspot-panel"),
    panel("客服工作量", parts.agents, "agent-panel")));
}

async function refresh(values) {
  const mine = ++generation;
  parts.root.dataset.state = "loading";
  filters.showError("");
  try {
    const summary = await loadSummary(values);
    if (mine !== generation) return;
    filters.set({ from: summary.from, to: summary.to, groupBy: summary.group_by });
    filters.setTimeZone(summary.time_zone);
    const total = (key) => formatValue(summary.metrics[key].total.value, summary.metrics[key].unit);
    setText(parts.status, summary.from + " 至 " + summary.to + "（" + summary.time_zone + "）· 会话 " +
      total("conversations") + " · 转人工 " + total("handoffs") + " · 投诉 " + total("complaints"));
    renderTiles(parts.tiles, summary.kpis, summary.metrics);
    renderAgents(parts.agents, summary.agents);
    const hot = await loadHotspots(summary.to);
    if (mine !== generation) return;
    renderHotspots(parts.hotspots, hot);
    await renderCharts(parts.boxes, summary);
    if (mine === generation) parts.root.dataset.state = "ready";
  } catch (error) {
    if (mine !== generation) return;
    filters.showError(problem(error, "报表加载失败"));
    parts.root.dataset.state = "error";
  }
}

on("session:end", () => {
  destroyCharts();
  loaded = false;
  generation += 1;
});

export const reportsView = {
  id: "reports",
  title: "报表",
  available: (me) => me.role === "supervisor",
  mount,
  show() {
    if (loaded) return;
    loaded = true;
    refresh({ ...filters.value(), groupBy: filters.value().groupBy || "day" });
  },
};
