/* The Reports view's tables: delay hot spots (week over week, warnings) and the agents'
 * workload. */
import { clear, h } from "../core/dom.js";
import { label, VOCAB } from "../core/labels.js";
import { formatValue } from "./format.js";

const DIMENSIONS = ["destination", "route", "carrier"];

function change(spot) {
  if (spot.change === null || spot.change === undefined) return spot.previous_parcels ? "—" : "新出现";
  const value = Math.round(spot.change * 100);
  return (value > 0 ? "+" : "") + value + "%";
}

/** The hot spots (GET /api/reports/hotspots) as one table. */
export function renderHotspots(container, data) {
  clear(container);
  const rows = [];
  for (const dimension of DIMENSIONS) {
    for (const spot of data[dimension] || []) {
      rows.push(h("tr", { "data-warning": spot.warning ? "true" : null, "data-testid": "hotspot-row" },
        h("td", null, label(VOCAB.hotspotDimensions, dimension)),
        h("td", null, spot.key),
        h("td", { class: "num" }, String(spot.parcels)),
        h("td", { class: "num" }, String(spot.previous_parcels)),
        h("td", { class: "num" }, change(spot)),
        h("td", { class: "num" }, String(spot.contacts)),
        h("td", null, spot.warning ? h("span", { class: "badge hotspot-warning" }, "预警") : "")));
    }
  }
  container.appendChild(h("p", { class: "muted small" },
    "延误件：客户咨询过的延误包裹（" + data.from + " 至 " + data.to + "，对比 " + data.previous.from + " 至 " +
    data.previous.to + "）。预警：至少 " + data.min_count + " 件且为前 7 天的 " + data.jump_ratio + " 倍以上。"));
  if (!rows.length) {
    container.appendChild(h("p", { class: "empty", "data-testid": "hotspots-empty" }, "近 7 天没有客户咨询延误包裹"));
    return;
  }
  container.appendChild(h("table", { class: "report-table", "data-testid": "hotspot-table" },
    h("thead", null, h("tr", null, ["维度", "地区 / 线路 / 承运商", "延误件", "前 7 天", "变化", "咨询次数", ""]
      .map((text) => h("th", null, text)))),
    h("tbody", null, rows)));
}

/** The agents' workload (summary.agents). */
export function renderAgents(container, agents) {
  clear(container);
  if (!agents.length) {
    container.appendChild(h("p", { class: "empty" }, "所选期间没有客服处理会话或工单"));
    return;
  }
  container.appendChild(h("table", { class: "report-table", "data-testid": "agent-table" },
    h("thead", null, h("tr", null, ["客服", "处理会话", "平均处理时长", "满意度", "评价数", "完成工单"]
      .map((text) => h("th", null, text)))),
    h("tbody", null, agents.map((agent) => h("tr", null,
      h("td", null, agent.name),
      h("td", { class: "num" }, formatValue(agent.chats_handled.value, "count")),
      h("td", { class: "num" }, formatValue(agent.avg_handle_seconds.value, "seconds")),
      h("td", { class: "num" }, formatValue(agent.csat_avg.value, "score")),
      h("td", { class: "num" }, formatValue(agent.csat_avg.denominator, "count")),
      h("td", { class: "num" }, formatValue(agent.cases_resolved.value, "count")))))));
}
