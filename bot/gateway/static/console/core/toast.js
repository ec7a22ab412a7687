/* Short notices at the bottom left (#toasts): at most three at a time, errors stay longer. */
import { $, h } from "./dom.js";

/** Show a notice; kind "error" makes it an alert. */
export function toast(text, kind) {
  const error = kind === "error";
  const node = h("div", { class: "toast" + (error ? " error" : ""), role: error ? "alert" : "status",
    "data-testid": "toast" }, text);
  const box = $("toasts");
  while (box.children.length >= 3) box.removeChild(box.firstChild);
  box.appendChild(node);
  setTimeout(() => node.remove(), error ? 6000 : 3500);
}
