/* Loading the reports (docs/gateway-contract.md, supervisors only): the summary of a
 * period, the hot spots of the seven days ending with it, and the CSV download. */
import { api, ApiError } from "../core/api.js";
import { state } from "../core/store.js";

/** The query string of the filters ({from, to, groupBy}); empty values are left to the server. */
export function query(filters) {
  const wanted = { from: filters.from, to: filters.to, group_by: filters.groupBy };
  return new URLSearchParams(Object.entries(wanted).filter(([, value]) => value)).toString();
}

export function loadSummary(filters) {
  return api("GET", "/api/reports/summary?" + query(filters));
}

/** Hot spots of the seven local days ending `to` (YYYY-MM-DD), against the seven before. */
export function loadHotspots(to) {
  const end = new Date(to + "T00:00:00Z");
  const start = new Date(end.getTime() - 6 * 86400000);
  const params = new URLSearchParams({ from: start.toISOString().slice(0, 10), to, limit: "10" });
  return api("GET", "/api/reports/hotspots?" + params.toString());
}

/** Download the summary as CSV (the file the server names). */
export async function downloadCsv(filters) {
  const response = await fetch("/api/reports/summary.csv?" + query(filters), {
    headers: { Authorization: "Bearer " + state.token },
  });
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      /* not JSON */
    }
    throw new ApiError(response.status, body);
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = match ? match[1] : "report.csv";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
