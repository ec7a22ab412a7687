/* 速达快递 agent console: entry point (an ES module; no build step, no CDN).
 *
 * The console talks to the agent API of docs/gateway-contract.md and listens on /api/ws
 * for live events. Every piece of customer or agent text reaches the page as text
 * (core/dom.js h() / setText(), textContent): never innerHTML with data. Labels of
 * categories, priorities, reasons, channels, tiers and states come from GET /api/labels
 * (core/labels.js), never from maps of our own.
 *
 * Layout:
 *   core/          shared by every view
 *     api.js        fetch with the agent's token, JSON errors -> ApiError / errorText
 *     store.js      shared state + on()/emit() between modules (topics listed there)
 *     session.js    login form, token, sign-out, session lifecycle ("session:start"/"session:end")
 *     socket.js     /api/ws with reconnect -> "server:event", "socket:reconnected"
 *     labels.js     label(VOCAB.x, value) from GET /api/labels
 *     views.js      view registry + top-bar navigation (#<view id> in the URL)
 *     dom.js  format.js  sla.js  toast.js  dialogs.js   helpers
 *   conversations/  the conversations view (queue, my conversations, transcript, reply, notes)
 *   reports/        the reports view (supervisors: KPI tiles, charts, hot spots, agents, CSV)
 *
 * How to add a view (e.g. "cases" or "reports"):
 *   1. Create a folder next to conversations/ (cases/) with an index.js that exports the
 *      view object (contract in core/views.js):
 *        export const casesView = { id: "cases", title: "工单", mount(root) {...}, show() {...} };
 *      mount(root) builds the view into its own <section> with h() (first time shown);
 *      show() refreshes it each time the agent opens it. Split it into small modules
 *      with one job each, like conversations/.
 *   2. Import it below and call registerView(casesView); registration order is the order
 *      of the tabs (they appear once there are two views; #cases in the URL opens it).
 *   3. Load data with api() from core/api.js once the agent is signed in
 *      (on("session:start") or show()), forget it on on("session:end"), follow live
 *      events with on("server:event"), label values with label(VOCAB..., value) from
 *      core/labels.js (new vocabularies belong in bot/contract.py so the server serves
 *      their labels), and render with h()/setText() from core/dom.js (text only).
 *   4. Styles go into console.css (or a stylesheet of the view linked from index.html:
 *      the Content-Security-Policy allows this origin's scripts and styles only). Browser
 *      tests reach a view through data-testid="nav-<id>" and "view-<id>". */
import { boot } from "./core/session.js";
import { registerView } from "./core/views.js";
import { conversationsView } from "./conversations/index.js";
import { casesView } from "./cases/index.js";
import { reportsView } from "./reports/index.js";

registerView(conversationsView);
registerView(casesView);
registerView(reportsView);

boot();
