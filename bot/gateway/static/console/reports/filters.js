/* The filter bar of the Reports view: the period (two date fields and quick ranges, in
 * the business time zone), the grouping of the trend charts, refresh and CSV download. */
import { h } from "../core/dom.js";
import { values, VOCAB } from "../core/labels.js";

// The groupings the API accepts, in case the labels did not load (else the server's order).
const GROUPINGS = ["day", "week", "month", "channel", "language", "category"];

/** Today in a time zone, as YYYY-MM-DD. */
export function today(timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: timeZone || "Asia/Shanghai", year: "numeric",
    month: "2-digit", day: "2-digit" }).formatToParts(new Date());
  const get = (type) => parts.find((p) => p.type === type).value;
  return get("year") + "-" + get("month") + "-" + get("day");
}

function shift(day, days) {
  return new Date(new Date(day + "T00:00:00Z").getTime() + days * 86400000).toISOString().slice(0, 10);
}

/**
 * Build the bar. `onApply(filters)` runs when the supervisor asks for a period; `onCsv(filters)`
 * for the download. Returns {element, value(), set({from, to, groupBy}), setTimeZone(tz)}.
 */
export function createFilters(onApply, onCsv) {
  let timeZone = "Asia/Shanghai";
  const start = h("input", { type: "date", required: true, "data-testid": "report-start", "aria-label": "开始日期" });
  const end = h("input", { type: "date", required: true, "data-testid": "report-end", "aria-label": "结束日期" });
  const served = values(VOCAB.reportGroupings);
  const groupings = served.length ? served : GROUPINGS.map((value) => ({ value, label: value }));
  const groupBy = h("select", { "data-testid": "report-group-by", "aria-label": "趋势分组" },
    groupings.map((g) => h("option", { value: g.value }, g.label)));
  const error = h("span", { class: "form-error report-filter-error", role: "alert", "data-testid": "report-error" });

  const value = () => ({ from: start.value, to: end.value, groupBy: groupBy.value });
  const apply = () => {
    if (start.value && end.value && start.value > end.value) {
      error.textContent = "开始日期不能晚于结束日期";
      return;
    }
    error.textContent = "";
    onApply(value());
  };
  const quick = (text, days, testid) => h("button", { type: "button", class: "btn btn-sm", "data-testid": testid,
    onclick: () => {
      end.value = today(timeZone);
      start.value = shift(end.value, -(days - 1));
      apply();
    } }, text);
  const monthButton = h("button", { type: "button", class: "btn btn-sm", "data-testid": "report-this-month",
    onclick: () => {
      end.value = today(timeZone);
      start.value = end.value.slice(0, 8) + "01";
      apply();
    } }, "本月");

  const element = h("form", { class: "report-filters", "data-testid": "report-filters",
    onsubmit: (event) => {
      event.preventDefault();
      apply();
    } },
  h("label", { class: "report-field" }, "从", start), h("label", { class: "report-field" }, "至", end),
  quick("今天", 1, "report-today"), quick("近 7 天", 7, "report-7d"), quick("近 30 天", 30, "report-30d"),
  monthButton, h("label", { class: "report-field" }, "趋势", groupBy),
  h("button", { type: "submit", class: "btn btn-primary btn-sm", "data-testid": "report-apply" }, "查询"),
  h("button", { type: "button", class: "btn btn-sm", "data-testid": "report-csv", onclick: () => onCsv(value()) },
    "下载 CSV"),
  error);
  groupBy.addEventListener("change", apply);

  return {
    element,
    value,
    set(filters) {
      if (filters.from) start.value = filters.from;
      if (filters.to) end.value = filters.to;
      if (filters.groupBy) groupBy.value = filters.groupBy;
    },
    setTimeZone(tz) {
      if (tz) timeZone = tz;
    },
    showError(text) {
      error.textContent = text || "";
    },
  };
}
