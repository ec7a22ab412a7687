/* The KPI tiles: each service standard with its value, its target and a traffic light
 * (green: met; amber: within the margin; red: missed; grey: no data in the period). */
import { clear, h } from "../core/dom.js";
import { label, VOCAB } from "../core/labels.js";
import { formatValue, fraction } from "./format.js";

/** Draw the tiles of `kpis` (summary.kpis) with the units of `metrics` (summary.metrics). */
export function renderTiles(container, kpis, metrics) {
  clear(container);
  for (const kpi of kpis) {
    const unit = (metrics[kpi.metric] || {}).unit;
    const sign = kpi.direction === "lower" ? "≤ " : "≥ ";
    container.appendChild(h("div", { class: "kpi", "data-status": kpi.status, "data-testid": "kpi-" + kpi.metric,
      title: label(VOCAB.reportMetrics, kpi.metric) },
    h("div", { class: "kpi-label" }, label(VOCAB.reportMetrics, kpi.metric)),
    h("div", { class: "kpi-value", "data-testid": "kpi-value-" + kpi.metric }, formatValue(kpi.value, unit)),
    h("div", { class: "kpi-foot" },
      h("span", { class: "kpi-target" }, "目标 " + sign + formatValue(kpi.target, unit)),
      h("span", { class: "kpi-status", "data-testid": "kpi-status-" + kpi.metric },
        label(VOCAB.kpiStatuses, kpi.status))),
    h("div", { class: "kpi-fraction muted small" }, fraction(kpi))));
  }
}
