/* The console's views (pages) and the navigation between them.
 *
 * A view is an object registered with registerView() (main.js does it):
 *   {
 *     id: "cases",          // [a-z][a-z0-9-]*: URL fragment (#cases), data-view, data-testid "view-cases"/"nav-cases"
 *     title: "工单",        // its tab in the top bar
 *     element: node,        // optional: the view's existing element in index.html
 *     mount(root) {},       // optional: build the view into its own <section> (first time shown)
 *     show() {},            // optional: the view became visible (refresh what it shows)
 *     hide() {},            // optional: another view became visible
 *     available(me) {},     // optional: false hides the view from this agent (e.g. supervisors only)
 *   }
 * Views without an element get a <section class="view"> in #views. The tabs appear when
 * there are two views or more; the fragment of the URL (#cases) selects a view, so a
 * reload stays on it and links to a view work. Views receive the session's lifecycle and
 * live events through the store (on("session:start"), on("server:event"), ...), also
 * while hidden. */
import { $, clear, h } from "./dom.js";
import { on, state } from "./store.js";

const VIEW_ID = /^[a-z][a-z0-9-]*$/;
const views = [];
let active = null;

/** Add a view (in navigation order). */
export function registerView(view) {
  if (!view || !VIEW_ID.test(view.id || "")) throw new Error("a view needs an id matching " + VIEW_ID);
  if (views.some((v) => v.id === view.id)) throw new Error("view " + view.id + " is registered twice");
  views.push({ view, root: view.element || null, mounted: Boolean(view.element) });
  if (view.element) {
    view.element.setAttribute("data-view", view.id);
    view.element.hidden = true;
  }
  if (state.me) renderNav();
}

/** The id of the view on screen (null before sign-in). */
export function activeView() {
  return active;
}

function available(entry) {
  return !entry.view.available || Boolean(state.me && entry.view.available(state.me));
}

/** Show a view by id (unknown or unavailable ids show the first view); returns the id shown. */
export function showView(id) {
  const open = views.filter(available);
  const entry = open.find((v) => v.view.id === id) || open[0];
  if (!entry) return null;
  if (!entry.mounted) {
    entry.root = h("section", { class: "view", "data-view": entry.view.id, "data-testid": "view-" + entry.view.id,
      "aria-label": entry.view.title || entry.view.id });
    $("views").appendChild(entry.root);
    if (entry.view.mount) entry.view.mount(entry.root);
    entry.mounted = true;
  }
  const previous = views.find((v) => v.view.id === active);
  if (previous && previous !== entry) {
    previous.root.hidden = true;
    if (previous.view.hide) previous.view.hide();
  }
  active = entry.view.id;
  entry.root.hidden = false;
  renderNav();
  if (location.hash.slice(1) !== active && (location.hash || entry !== open[0])) {
    history.replaceState(null, "", "#" + active);
  }
  if (entry.view.show) entry.view.show();
  return active;
}

function renderNav() {
  const nav = $("view-nav");
  const open = views.filter(available);
  clear(nav);
  nav.hidden = open.length < 2;
  for (const { view } of open) {
    nav.appendChild(h("a", { href: "#" + view.id, class: "view-tab", "data-testid": "nav-" + view.id,
      "data-view": view.id, "aria-current": view.id === active ? "page" : null }, view.title || view.id));
  }
}

window.addEventListener("hashchange", () => {
  if (state.me) showView(location.hash.slice(1));
});
on("session:start", () => showView(location.hash.slice(1)));
on("session:end", () => {
  for (const entry of views) if (entry.root) entry.root.hidden = true;
  if (active) {
    const entry = views.find((v) => v.view.id === active);
    if (entry && entry.view.hide) entry.view.hide();
  }
  active = null;
});
