/* Sign-in and sign-out: the login form, the token in sessionStorage (this tab only),
 * the agent shown in the top bar, and the session's lifecycle. After a successful
 * sign-in (or a reload with a valid token) the labels are loaded, the websocket opens
 * and "session:start" tells the views to load their data; sign-out or an expired token
 * closes everything and announces "session:end". */
import { $, append, clear, h, setText } from "./dom.js";
import { api, ApiError, errorText } from "./api.js";
import { ensureLabels, label, loadLabels, VOCAB } from "./labels.js";
import { connectSocket, disconnectSocket } from "./socket.js";
import { startTicker, stopTicker } from "./sla.js";
import { emit, on, resetState, state } from "./store.js";

const TOKEN_KEY = "suda-console-token";

function showLogin(message) {
  $("app-view").hidden = true;
  $("login-view").hidden = false;
  setText($("login-error"), message || "");
  $("login-username").focus();
}

function renderMe() {
  const info = $("agent-info");
  const me = state.me || {};
  clear(info);
  append(info, [
    h("strong", { "data-testid": "agent-name" }, me.display_name || me.username || ""),
    h("span", { class: "tag" }, "T" + (me.tier || 1) + " " + label(VOCAB.agentTiers, me.tier || 1)),
    me.role === "supervisor" ? h("span", { class: "tag tag-state" }, "主管视图") : null,
  ]);
}

const LABELS_RETRY_MS = 15000;
let labelsRetry = null;

async function start(agent) {
  state.me = agent;
  if (!(await loadLabels())) {
    // Meanwhile values show as themselves; "labels:loaded" re-renders once they arrive.
    clearInterval(labelsRetry);
    labelsRetry = setInterval(async () => {
      if (await ensureLabels()) clearInterval(labelsRetry);
    }, LABELS_RETRY_MS);
  }
  if (!state.token) return; // the token expired meanwhile
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  renderMe();
  connectSocket();
  startTicker();
  emit("session:start", agent);
}

function teardown() {
  clearInterval(labelsRetry);
  disconnectSocket();
  stopTicker();
  resetState();
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    /* storage unavailable */
  }
  emit("session:end");
}

on("session:expired", () => {
  if (!state.token) return;
  teardown();
  showLogin("登录已过期，请重新登录");
});
on("labels:loaded", () => {
  if (state.me) renderMe();
});

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = $("login-username").value.trim();
  const password = $("login-password").value;
  if (!username || !password) {
    setText($("login-error"), "请输入用户名和密码");
    return;
  }
  const button = event.target.querySelector("button[type=submit]");
  button.disabled = true;
  setText($("login-error"), "");
  try {
    const data = await api("POST", "/api/login", { username, password });
    state.token = data.token;
    try {
      sessionStorage.setItem(TOKEN_KEY, data.token);
    } catch (e) {
      /* storage unavailable: this page only */
    }
    $("login-password").value = "";
    await start(data.agent);
  } catch (error) {
    setText($("login-error"), error instanceof ApiError && (error.status === 401 || error.status === 403)
      ? "用户名或密码错误" : errorText(error, "登录失败"));
  } finally {
    button.disabled = false;
  }
});

$("logout-button").addEventListener("click", () => {
  const done = () => {
    teardown();
    showLogin("您已退出登录");
  };
  api("POST", "/api/logout").then(done, done);
});

/** Resume the session of this tab (a token in sessionStorage) or show the login form. */
export async function boot() {
  let token = null;
  try {
    token = sessionStorage.getItem(TOKEN_KEY);
  } catch (e) {
    /* storage unavailable */
  }
  if (!token) {
    showLogin("");
    return;
  }
  state.token = token;
  let data;
  try {
    data = await api("GET", "/api/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // "session:expired" showed the form
    teardown();
    showLogin(errorText(error, "无法连接服务器"));
    return;
  }
  await start((data && data.agent) || data);
}
