/* The live connection to /api/ws: forwards server events as "server:event", shows its
 * state in #ws-status, pings every 20 s (which keeps the agent "present" for the
 * gateway) and reconnects after a drop with exponential back-off (1 s .. 30 s, ±20 %),
 * announcing "socket:reconnected" so views can catch up on what they missed. */
import { $, setText } from "./dom.js";
import { api } from "./api.js";
import { emit, state } from "./store.js";

let socket = null;
let retries = 0;
let retryTimer = null;
let pingTimer = null;

function setStatus(kind, text) {
  const node = $("ws-status");
  node.setAttribute("data-state", kind);
  setText(node, text);
}

/** Open the websocket for the signed-in agent. */
export function connectSocket() {
  if (!state.token) return;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/ws?token=" +
    encodeURIComponent(state.token);
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    scheduleReconnect();
    return;
  }
  socket = ws;
  setStatus("connecting", retries ? "重新连接中…" : "连接中…");
  ws.onopen = () => {
    const wasRetry = retries > 0;
    retries = 0;
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send("ping");
    }, 20000);
    setStatus("open", "实时连接正常");
    if (wasRetry) emit("socket:reconnected");
  };
  ws.onmessage = (event) => {
    if (event.data === "pong") return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (data && typeof data === "object") emit("server:event", data);
  };
  ws.onclose = (event) => {
    clearInterval(pingTimer);
    if (socket !== ws) return;
    socket = null;
    if (!state.token) return;
    if (event.code === 4401 || event.code === 4001 || event.code === 1008) {
      // The server refused the token: check it (a 401 sends the agent back to the login form).
      api("GET", "/api/me").then(scheduleReconnect, () => {});
      return;
    }
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  if (!state.token) return;
  const delay = Math.min(30000, 1000 * 2 ** retries) * (0.8 + Math.random() * 0.4);
  retries += 1;
  setStatus("closed", "连接已断开，" + Math.round(delay / 1000) + " 秒后重连");
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connectSocket, delay);
}

/** Close the websocket for good (sign-out). */
export function disconnectSocket() {
  const ws = socket;
  socket = null;
  if (ws) {
    ws.onclose = null;
    try {
      ws.close();
    } catch (e) {
      /* already closed */
    }
  }
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  retries = 0;
}
