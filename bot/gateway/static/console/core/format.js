/* Time parsing and formatting for the console (durations, clock times, waiting times).
 *
 * The API sends ISO 8601 times in UTC ("...Z"); times are shown in the browser's own
 * time zone. */

/** Milliseconds since the epoch, or null when the value is missing or not a time. */
export function parseTime(value) {
  if (!value) return null;
  let s = String(value);
  // A bare timestamp without a zone is taken as UTC too.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += "Z";
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

/** "m:ss" or "h:mm:ss" for a span of milliseconds (negative spans count as 0). */
export function duration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return (hours ? hours + ":" + pad(minutes) : String(minutes)) + ":" + pad(seconds);
}

/** "HH:MM:SS" today, "M月D日 HH:MM:SS" on another day, "" without a time. */
export function clock(ts) {
  if (ts === null || ts === undefined) return "";
  const d = new Date(ts);
  const time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  if (d.toDateString() === new Date().toDateString()) return time;
  return d.getMonth() + 1 + "月" + d.getDate() + "日 " + time;
}

/** How long since an ISO time, as duration(); "—" without one. */
export function waitText(since) {
  const t = parseTime(since);
  return t === null ? "—" : duration(Date.now() - t);
}
