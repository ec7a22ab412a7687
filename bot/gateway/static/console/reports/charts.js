/* The Reports view's charts, drawn with Chart.js (installed from npm by scripts/env.sh,
 * served by the gateway at /static/vendor/chart.js; no CDN): volume and service trends
 * over the period's groups, handoff reasons, complaint causes, satisfaction scores. The
 * library is loaded the first time a supervisor opens the view. */
import { clear, h } from "../core/dom.js";
import { label, VOCAB } from "../core/labels.js";
import { percent } from "./format.js";

const LIBRARY = "/static/vendor/chart.js";
const COLORS = ["#c8102e", "#1a73e8", "#1e7b34", "#e65100", "#6a1b9a", "#00838f", "#795548", "#546e7a",
  "#ad1457", "#9e9d24"];
const TIME_GROUPS = new Set(["day", "week", "month"]);
let loading = null;
const charts = new Map(); // name -> Chart instance

/** The Chart constructor (loads the library once); rejects when it is not installed. */
function chartLibrary() {
  if (!loading) {
    loading = import(LIBRARY).then(() => {
      if (typeof globalThis.Chart !== "function") throw new Error("Chart.js did not load");
      return globalThis.Chart;
    });
    loading.catch(() => {
      loading = null; // try again next time
    });
  }
  return loading;
}

function groupLabel(groupBy, key) {
  if (groupBy === "channel") return label(VOCAB.channels, key);
  if (groupBy === "language") return label(VOCAB.languages, key);
  if (groupBy === "category") return label(VOCAB.categories, key);
  return key;
}

function series(summary, metric, transform) {
  const groups = (summary.metrics[metric] || {}).groups || {};
  return summary.groups.map((g) => (groups[g] ? transform(groups[g].value) : null));
}

function nonzero(items) {
  return (items || []).filter((item) => item.numerator);
}

const BASE = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
};

function definitions(summary) {
  const timeline = TIME_GROUPS.has(summary.group_by);
  const labels = summary.groups.map((g) => groupLabel(summary.group_by, g));
  const count = (v) => v;
  const reasons = nonzero(summary.breakdowns.handoffs_by_reason.total);
  const causes = nonzero(summary.breakdowns.complaint_causes.total);
  const scores = ["1", "2", "3", "4", "5"];
  const scoreCounts = (key) => {
    const byKey = new Map(summary.breakdowns[key].total.map((item) => [item.key, item.numerator]));
    return scores.map((s) => byKey.get(s) || 0);
  };
  return {
    volume: {
      empty: !summary.groups.length,
      config: { type: "bar", data: { labels, datasets: [
        { label: label(VOCAB.reportMetrics, "conversations"), data: series(summary, "conversations", count),
          backgroundColor: COLORS[1] },
        { label: label(VOCAB.reportMetrics, "handoffs"), data: series(summary, "handoffs", count),
          backgroundColor: COLORS[3] },
        { label: label(VOCAB.reportMetrics, "complaints"), data: series(summary, "complaints", count),
          type: timeline ? "line" : "bar", borderColor: COLORS[0], backgroundColor: COLORS[0] },
      ] }, options: { ...BASE, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } },
    },
    rates: {
      empty: !summary.groups.length,
      config: { type: timeline ? "line" : "bar", data: { labels, datasets: [
        "bot_containment", "answer_rate", "online_reply_rate", "fcr_rate"].map((metric, i) => ({
        label: label(VOCAB.reportMetrics, metric), data: series(summary, metric, percent),
        borderColor: COLORS[i], backgroundColor: COLORS[i], spanGaps: true, tension: 0.2 })) },
      options: { ...BASE, scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } } } },
    },
    reasons: {
      empty: !reasons.length,
      config: { type: "doughnut", data: { labels: reasons.map((r) => label(VOCAB.reasons, r.key)),
        datasets: [{ data: reasons.map((r) => r.numerator), backgroundColor: COLORS }] },
      options: { ...BASE, plugins: { legend: { position: "right", labels: { boxWidth: 12 } } } } },
    },
    causes: {
      empty: !causes.length,
      config: { type: "bar", data: { labels: causes.map((c) => label(VOCAB.exceptionTypes, c.key)),
        datasets: [{ label: label(VOCAB.reportMetrics, "complaints"), data: causes.map((c) => c.numerator),
          backgroundColor: COLORS[0] }] },
      options: { ...BASE, indexAxis: "y", plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } } },
    },
    csat: {
      empty: !scoreCounts("csat_bot_distribution").some(Boolean) && !scoreCounts("csat_human_distribution").some(Boolean),
      config: { type: "bar", data: { labels: scores.map((s) => s + " 分"), datasets: [
        { label: label(VOCAB.reportMetrics, "csat_bot_avg"), data: scoreCounts("csat_bot_distribution"),
          backgroundColor: COLORS[1] },
        { label: label(VOCAB.reportMetrics, "csat_human_avg"), data: scoreCounts("csat_human_distribution"),
          backgroundColor: COLORS[2] },
      ] }, options: { ...BASE, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } },
    },
  };
}

/** The chart panels' titles, in the order they are laid out. */
export const CHART_TITLES = {
  volume: "会话量与转人工趋势",
  rates: "服务指标趋势",
  reasons: "转人工原因",
  causes: "投诉原因",
  csat: "满意度评分分布",
};

/** Draw every chart into its box ({name: element}); a notice instead when the library is missing. */
export async function renderCharts(boxes, summary) {
  let Chart;
  try {
    Chart = await chartLibrary();
  } catch (error) {
    for (const box of Object.values(boxes)) {
      clear(box);
      box.appendChild(h("p", { class: "empty", "data-testid": "chart-missing" },
        "图表库未安装（运行 scripts/env.sh 安装 Chart.js），数据见下方表格与 CSV。"));
    }
    return false;
  }
  for (const [name, { config, empty }] of Object.entries(definitions(summary))) {
    const box = boxes[name];
    if (!box) continue;
    if (charts.has(name)) charts.get(name).destroy();
    clear(box);
    const canvas = h("canvas", { "data-testid": "chart-" + name, role: "img", "aria-label": CHART_TITLES[name] });
    box.appendChild(canvas);
    if (empty) box.appendChild(h("p", { class: "chart-empty muted small" }, "所选期间暂无数据"));
    charts.set(name, new Chart(canvas, config));
  }
  return true;
}

/** Forget the charts (sign-out). */
export function destroyCharts() {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
}
