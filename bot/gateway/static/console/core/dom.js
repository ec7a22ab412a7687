/* DOM helpers shared by every console module.
 *
 * Data only ever reaches the page as text: h() turns string children into text nodes
 * and the "text" attribute into textContent, setText() sets textContent. Nothing in
 * the console uses innerHTML, so customer or agent text can never become markup. */

/** The element with this id. */
export function $(id) {
  return document.getElementById(id);
}

/**
 * Build an element: h("div", {class: "x", "data-testid": "y", onclick: fn}, child, "text", ...).
 * Attributes that are null/undefined/false are left out, true gives an empty attribute,
 * on<event> functions become listeners; children may be nodes, strings, numbers or arrays.
 */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

/** Append a child (node, text, or a nested array of them); null/undefined/false are skipped. */
export function append(node, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    child.forEach((c) => append(node, c));
    return;
  }
  node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
}

/** Replace the node's content with this value as text ("" for null/undefined). */
export function setText(node, value) {
  node.textContent = value === null || value === undefined ? "" : String(value);
}

/** Remove every child of the node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** A value made safe for an attribute selector. */
export function cssEscape(value) {
  return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
}
