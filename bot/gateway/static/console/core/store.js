/* The console's shared state and a small publish/subscribe bus between modules.
 *
 * `state` holds what the server told us (the signed-in agent, the queue, the agent's
 * conversations, the open conversation). Modules change it and announce it with
 * emit(); others react with on(). Topics in use:
 *   "session:start" (agent)  signed in and labels loaded: views load their data
 *   "session:end"            signed out or the session expired: views forget their data
 *   "session:expired"        the server answered 401 (api.js); session.js shows the login form
 *   "server:event" (event)   a live event from /api/ws ({type: ...}, docs/gateway-contract.md)
 *   "socket:reconnected"     the websocket is back after a drop: catch up on missed events
 *   "labels:loaded"          GET /api/labels answered: re-render labelled things
 *   "current:changed"        a conversation was opened or closed in the conversations view
 *   "current:stale"          the open conversation changed on the server: reload it */

export const state = {
  token: null, // bearer token of the signed-in agent
  me: null, // {id, username, display_name, role, tier}
  queue: [], // GET /api/queue items
  mine: [], // GET /api/conversations items
  current: null, // the open conversation: {id, conversation, handoff, messages: [], ids: Set, notes: []}
  unread: {}, // conversation id -> true while a customer message is unread
  canned: null, // GET /api/canned-replies, loaded on first use
};

/** Forget everything that belongs to the signed-in agent. */
export function resetState() {
  state.token = null;
  state.me = null;
  state.queue = [];
  state.mine = [];
  state.current = null;
  state.unread = {};
  state.canned = null;
}

const listeners = new Map();

/** Call fn(detail) on every emit(topic, detail); returns a function that unsubscribes. */
export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic).delete(fn);
}

/** Tell every subscriber of the topic, in subscription order; one failing listener does not stop the rest. */
export function emit(topic, detail) {
  for (const fn of [...(listeners.get(topic) || [])]) {
    try {
      fn(detail);
    } catch (error) {
      console.error("console: a listener of " + topic + " failed", error);
    }
  }
}
