/* The reports' numbers as supervisors read them: 95.0%, 1 分 20 秒, 4.50 (of 5), 1,234. */

function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function seconds(value) {
  if (value < 90) return round(value, 0) + " 秒";
  if (value < 5400) {
    const minutes = Math.floor(value / 60);
    const rest = Math.round(value - minutes * 60);
    return rest ? minutes + " 分 " + rest + " 秒" : minutes + " 分钟";
  }
  if (value < 172800) return round(value / 3600, 1) + " 小时";
  return round(value / 86400, 1) + " 天";
}

/** A metric's value in its unit ("ratio", "seconds", "score", "count"); "—" without one. */
export function formatValue(value, unit) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  const number = Number(value);
  if (unit === "ratio") return round(number * 100, 1).toFixed(1) + "%";
  if (unit === "seconds") return seconds(number);
  if (unit === "score") return number.toFixed(2);
  return number.toLocaleString("zh-CN");
}

/** "numerator / denominator" so a number can be checked ("" for a plain count). */
export function fraction(item) {
  if (!item || item.denominator === null || item.denominator === undefined) return "";
  const n = (x) => (Number.isInteger(x) ? x.toLocaleString("zh-CN") : round(x, 1).toLocaleString("zh-CN"));
  return n(item.numerator) + " / " + n(item.denominator);
}

/** A rate in percent for charts (null stays a gap). */
export function percent(value) {
  return value === null || value === undefined ? null : round(value * 100, 1);
}
