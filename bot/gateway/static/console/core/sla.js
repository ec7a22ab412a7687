/* Live timers: SLA countdowns and waiting times, re-drawn every second.
 *
 * Any view can show them: an element with data-sla-due (ISO time; optional
 * data-sla-breached="1" and data-sla-done="responded"|"closed") is an SLA badge, one
 * with data-wait-since (ISO time) shows the time waited. startTicker() updates every
 * such element in the document once a second. */
import { append, clear, h, setText } from "./dom.js";
import { duration, parseTime, waitText } from "./format.js";

/** A new SLA badge. */
export function slaNode(due, breached, testid) {
  const node = h("span", { class: "sla", "data-sla-due": due || "", "data-sla-breached": breached ? "1" : "",
    "data-testid": testid });
  updateSla(node);
  return node;
}

/** Re-draw an SLA badge from its data attributes (and mark its queue item when breached). */
export function updateSla(node) {
  const due = parseTime(node.getAttribute("data-sla-due"));
  const done = node.getAttribute("data-sla-done");
  clear(node);
  if (done === "responded") {
    const late = node.getAttribute("data-sla-breached") === "1";
    node.className = "sla" + (late ? " breached" : "");
    append(node, ["SLA ", h("strong", null, late ? "首次响应超时" : "已按时响应")]);
    return;
  }
  if (done === "closed") {
    node.className = "sla";
    append(node, "SLA —");
    return;
  }
  if (due === null) {
    append(node, "SLA —");
    return;
  }
  const left = due - Date.now();
  const breached = left <= 0 || node.getAttribute("data-sla-breached") === "1";
  node.className = "sla" + (breached ? " breached" : left < 120000 ? " soon" : "");
  const item = node.closest(".queue-item");
  if (item) item.classList.toggle("breached", breached);
  if (breached) append(node, ["SLA 已超时 ", h("strong", null, duration(-left))]);
  else append(node, ["SLA 剩余 ", h("strong", null, duration(left))]);
}

function tick() {
  for (const node of document.querySelectorAll("[data-wait-since]")) {
    setText(node, waitText(node.getAttribute("data-wait-since")));
  }
  document.querySelectorAll("[data-sla-due]").forEach(updateSla);
}

let timer = null;

/** Update every timer on the page once a second. */
export function startTicker() {
  clearInterval(timer);
  timer = setInterval(tick, 1000);
}

export function stopTicker() {
  clearInterval(timer);
  timer = null;
}
