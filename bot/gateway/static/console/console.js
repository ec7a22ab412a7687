/* 速达快递 agent console (vanilla JS, no build step).
 *
 * Talks to the agent API of docs/gateway-contract.md and listens on /api/ws for
 * live events. Every piece of customer or agent text goes into the page through
 * textContent / text nodes (the h() helper below): never innerHTML with data. */
(function () {
  "use strict";

  // ------------------------------------------------------------------ labels
  var CATEGORY = {
    delay: "延误", damage: "破损", loss: "丢件", refused: "拒收", address: "地址问题",
    customs: "清关", consultation: "咨询", complaint: "投诉"
  };
  var PRIORITY = { urgent: "紧急", high: "高", normal: "普通" };
  var TIER = { 1: "一线", 2: "专家", 3: "主管" };
  var STATE = {
    bot: "机器人接待", queued: "排队中", agent: "人工接待中", csat_pending: "已解决 · 待评价",
    ticket: "已留言", closed: "已结束"
  };
  var CHANNEL = { socketio: "网页客服", rest: "REST 接口", wechat: "微信公众号", web: "网页客服" };
  var REASON = { // the bot's handoff reasons (actions/handoff.py REASONS) and a few gateway ones
    customer_request: "客户要求人工服务", complaint: "客户投诉",
    repeated_misunderstanding: "机器人连续未能理解", high_value_claim: "高价值包裹理赔",
    urgent_medical: "急需药品/医疗物资", verification_failed: "手机号验证多次未通过",
    vip: "VIP/企业客户包裹异常", escalated: "升级处理", escalation: "升级处理",
    requeued: "重新排队", bot_unavailable: "机器人服务异常", rasa_unavailable: "机器人服务异常"
  };
  var CUSTOMER_TIER = { vip: "VIP 客户", enterprise: "企业客户", standard: "普通客户", normal: "普通客户",
    unknown: "客户等级未知" };
  var ROLE = { customer: "客户", user: "客户", bot: "机器人", agent: "客服", system: "系统" };

  function label(map, key) {
    if (key === null || key === undefined || key === "") return "—";
    return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : String(key);
  }

  // ------------------------------------------------------------------ DOM helpers
  function $(id) { return document.getElementById(id); }

  /** h("div", {class: "x", "data-testid": "y", onclick: fn}, child, "text", ...) */
  function h(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = String(value);
        else if (key.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  function setText(node, value) { node.textContent = value === null || value === undefined ? "" : String(value); }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // ------------------------------------------------------------------ time
  function parseTime(value) {
    if (!value) return null;
    var s = String(value);
    // The API sends ISO 8601 in UTC ("...Z"); a bare timestamp is taken as UTC too.
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += "Z";
    var t = Date.parse(s);
    return isNaN(t) ? null : t;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function duration(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    return (hours ? hours + ":" + pad(minutes) : String(minutes)) + ":" + pad(seconds);
  }

  function clock(ts) {
    if (ts === null) return "";
    var d = new Date(ts);
    var now = new Date();
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    if (d.toDateString() === now.toDateString()) return time;
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + time;
  }

  // ------------------------------------------------------------------ state
  var TOKEN_KEY = "suda-console-token";
  var OPEN_KEY = "suda-console-open";
  var state = {
    token: null,
    me: null,
    queue: [],
    mine: [],
    current: null, // {id, conversation, handoff, messages: [], ids: {}, notes: []}
    unread: {},
    canned: null,
    ws: null,
    wsRetry: 0,
    wsTimer: null,
    pingTimer: null,
    refreshTimer: null,
    tickTimer: null
  };

  // ------------------------------------------------------------------ API
  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.code = (body && body.error) || "http_" + status;
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (state.token) headers["Authorization"] = "Bearer " + state.token;
    var init = { method: method, headers: headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        if (raw) { try { data = JSON.parse(raw); } catch (e) { data = { raw: raw }; } }
        if (response.status === 401 && path !== "/api/login") {
          sessionExpired();
        }
        if (!response.ok) throw new ApiError(response.status, data);
        return data;
      });
    });
  }

  function listOf(data, keys) {
    if (Array.isArray(data)) return data;
    if (!data) return [];
    for (var i = 0; i < keys.length; i++) if (Array.isArray(data[keys[i]])) return data[keys[i]];
    return [];
  }

  var ERRORS = {
    already_claimed: "该会话已被其他客服接入",
    cap_reached: "您同时接待的会话已达上限，请先处理手头的会话",
    not_found: "会话不存在或已结束",
    forbidden: "没有权限执行此操作",
    invalid_credentials: "用户名或密码错误",
    empty_text: "内容不能为空",
    not_assigned: "该会话不在您名下",
    invalid_state: "会话状态已变化，请刷新后重试",
    top_tier: "已是最高一级（管理层），无法继续升级",
    bot_unavailable: "机器人暂时不可用，无法交回，请继续人工接待或结束会话"
  };

  function errorText(error, fallback) {
    if (error instanceof ApiError) {
      if (ERRORS[error.code]) return ERRORS[error.code];
      if (error.body && typeof error.body.message === "string") return error.body.message;
      if (error.status === 0 || error.status >= 500) return "服务器暂时不可用，请稍后重试";
      return (fallback || "操作失败") + "（" + error.code + "）";
    }
    return "无法连接服务器，请检查网络后重试";
  }

  // ------------------------------------------------------------------ toasts
  function toast(text, kind) {
    var node = h("div", { "class": "toast" + (kind === "error" ? " error" : ""), role: kind === "error" ? "alert" : "status",
      "data-testid": "toast" }, text);
    var box = $("toasts");
    while (box.children.length >= 3) box.removeChild(box.firstChild);
    box.appendChild(node);
    setTimeout(function () { if (node.parentNode) node.parentNode.removeChild(node); }, kind === "error" ? 6000 : 3500);
  }

  // ------------------------------------------------------------------ login / logout
  function showLogin(message) {
    $("app-view").hidden = true;
    $("login-view").hidden = false;
    setText($("login-error"), message || "");
    $("login-username").focus();
  }

  function sessionExpired() {
    if (!state.token) return;
    teardown();
    showLogin("登录已过期，请重新登录");
  }

  function teardown() {
    state.token = null;
    state.me = null;
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
    if (state.ws) { state.ws.onclose = null; try { state.ws.close(); } catch (e) { /* ignore */ } }
    state.ws = null;
    clearTimeout(state.wsTimer);
    clearInterval(state.pingTimer);
    clearInterval(state.refreshTimer);
    clearInterval(state.tickTimer);
    state.queue = [];
    state.mine = [];
    state.current = null;
    state.unread = {};
    state.canned = null;
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var username = $("login-username").value.trim();
    var password = $("login-password").value;
    if (!username || !password) { setText($("login-error"), "请输入用户名和密码"); return; }
    var button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    setText($("login-error"), "");
    api("POST", "/api/login", { username: username, password: password }).then(function (data) {
      state.token = data.token;
      try { sessionStorage.setItem(TOKEN_KEY, data.token); } catch (e) { /* ignore */ }
      $("login-password").value = "";
      start(data.agent);
    }).catch(function (error) {
      setText($("login-error"), error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? "用户名或密码错误" : errorText(error, "登录失败"));
    }).then(function () { button.disabled = false; });
  });

  $("logout-button").addEventListener("click", function () {
    var done = function () { teardown(); showLogin("您已退出登录"); };
    api("POST", "/api/logout").then(done, done);
  });

  // ------------------------------------------------------------------ start
  function start(agent) {
    state.me = agent;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    renderMe();
    connectWs();
    refreshAll();
    clearInterval(state.refreshTimer);
    state.refreshTimer = setInterval(refreshAll, 30000); // safety net next to the websocket
    clearInterval(state.tickTimer);
    state.tickTimer = setInterval(tick, 1000);
    var last = null;
    try { last = sessionStorage.getItem(OPEN_KEY); } catch (e) { /* ignore */ }
    if (last) openConversation(last, { quiet: true });
  }

  function renderMe() {
    var info = $("agent-info");
    clear(info);
    var me = state.me || {};
    append(info, [
      h("strong", { "data-testid": "agent-name" }, me.display_name || me.username || ""),
      h("span", { "class": "tag" }, "T" + (me.tier || 1) + " " + label(TIER, me.tier || 1)),
      me.role === "supervisor" ? h("span", { "class": "tag tag-state" }, "主管视图") : null
    ]);
    setText($("mine-label"), me.role === "supervisor" ? "进行中的会话" : "我的会话");
  }

  function refreshAll() {
    loadQueue();
    loadMine();
  }

  // ------------------------------------------------------------------ websocket
  function setWsStatus(kind, text) {
    var node = $("ws-status");
    node.setAttribute("data-state", kind);
    setText(node, text);
  }

  function connectWs() {
    if (!state.token) return;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/ws?token=" +
      encodeURIComponent(state.token);
    var ws;
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    state.ws = ws;
    setWsStatus("connecting", state.wsRetry ? "重新连接中…" : "连接中…");
    ws.onopen = function () {
      var wasRetry = state.wsRetry > 0;
      state.wsRetry = 0;
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(function () { // keeps this agent "present" for the gateway
        if (ws.readyState === WebSocket.OPEN) ws.send("ping");
      }, 20000);
      setWsStatus("open", "实时连接正常");
      if (wasRetry) { refreshAll(); if (state.current) reloadCurrent(); } // catch up on missed events
    };
    ws.onmessage = function (event) {
      if (event.data === "pong") return;
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      onEvent(data);
    };
    ws.onclose = function (event) {
      clearInterval(state.pingTimer);
      if (state.ws !== ws) return;
      state.ws = null;
      if (!state.token) return;
      if (event.code === 4401 || event.code === 4001 || event.code === 1008) {
        // The server refused the token: check it (a 401 sends us back to the login form).
        api("GET", "/api/me").then(scheduleReconnect, function () { /* handled by api() */ });
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (!state.token) return;
    var delay = Math.min(30000, 1000 * Math.pow(2, state.wsRetry)) * (0.8 + Math.random() * 0.4);
    state.wsRetry += 1;
    setWsStatus("closed", "连接已断开，" + Math.round(delay / 1000) + " 秒后重连");
    clearTimeout(state.wsTimer);
    state.wsTimer = setTimeout(connectWs, delay);
  }

  function onEvent(event) {
    if (!event || typeof event !== "object") return;
    if (event.type === "queue_changed") {
      loadQueue();
    } else if (event.type === "message") {
      var cid = event.conversation_id;
      if (state.current && state.current.id === cid && event.message) {
        addMessage(event.message);
      } else if (cid && event.message && event.message.role === "customer") {
        state.unread[cid] = true;
        renderMine();
      }
      if (event.message && event.message.role === "customer") {
        updatePreview(cid, event.message.text);
        if (state.queue.some(function (q) { return q.conversation_id === cid; })) loadQueueSoon();
      }
    } else if (event.type === "conversation_updated") {
      if (event.csat) {
        var rated = state.current && state.current.id === event.conversation_id;
        if (rated) state.current.conversation.csat = event.csat;
        toast("客户已评价：" + event.csat + "/5");
      }
      loadMine();
      loadQueue();
      if (state.current && state.current.id === event.conversation_id) reloadCurrent();
    }
  }

  // ------------------------------------------------------------------ queue
  var queueSoon = null;
  function loadQueueSoon() { // several events in a burst: one fetch
    if (queueSoon) return;
    queueSoon = setTimeout(function () { queueSoon = null; loadQueue(); }, 300);
  }

  function loadQueue() {
    if (!state.token) return Promise.resolve();
    return api("GET", "/api/queue").then(function (data) {
      state.queue = listOf(data, ["items", "queue"]);
      renderQueue();
    }).catch(function () { /* next event or refresh tries again */ });
  }

  function renderQueue() {
    var list = $("queue-list");
    var focused = document.activeElement && document.activeElement.getAttribute("data-handoff-id");
    clear(list);
    state.queue.forEach(function (item) {
      var hid = item.handoff_id !== undefined ? item.handoff_id : item.id;
      var claimButton = h("button", { type: "button", "class": "btn btn-primary btn-sm", "data-testid": "queue-claim",
        "data-handoff-id": hid, "aria-label": "接入 " + label(REASON, item.reason) + " 的客户",
        onclick: function () { claim(item, this); } }, "接入");
      var li = h("li", {
        "class": "queue-item", "data-testid": "queue-item", "data-handoff-id": hid,
        "data-conversation-id": item.conversation_id, "data-priority": item.priority
      },
        h("div", { "class": "row" },
          h("span", { "class": "badge", "data-priority": item.priority, "data-testid": "queue-priority" },
            label(PRIORITY, item.priority)),
          h("span", { "class": "tag", "data-testid": "queue-category" }, label(CATEGORY, item.category)),
          h("span", { "class": "tag tag-outline", title: "需要的客服级别" }, "T" + (item.tier || 1) + " " + label(TIER, item.tier || 1)),
          h("span", { "class": "reason", "data-testid": "queue-reason" }, label(REASON, item.reason))),
        item.preview ? h("div", { "class": "row" },
          h("span", { "class": "preview", "data-testid": "queue-preview", title: item.preview }, item.preview)) : null,
        (item.tracking_numbers && item.tracking_numbers.length) ? h("div", { "class": "row mono small" },
          item.tracking_numbers.join("、")) : null,
        h("div", { "class": "row" },
          h("span", { "class": "timers" },
            h("span", null, "已等待 ", h("strong", { "data-wait-since": item.waiting_since, "data-testid": "queue-wait" },
              waitText(item.waiting_since))),
            slaNode(item.sla_due_at, item.sla_breached, "queue-sla")),
          claimButton));
      list.appendChild(li);
      updateSla(li.querySelector("[data-sla-due]")); // now inside its item: marks the item too
    });
    setText($("queue-count"), state.queue.length);
    $("queue-empty").hidden = state.queue.length > 0;
    document.title = (state.queue.length ? "(" + state.queue.length + ") " : "") + "客服工作台 · 速达快递";
    if (focused) {
      var again = list.querySelector('button[data-handoff-id="' + cssEscape(focused) + '"]');
      if (again) again.focus();
    }
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
  }

  function waitText(since) {
    var t = parseTime(since);
    return t === null ? "—" : duration(Date.now() - t);
  }

  function slaNode(due, breached, testid) {
    var node = h("span", { "class": "sla", "data-sla-due": due || "", "data-sla-breached": breached ? "1" : "",
      "data-testid": testid });
    updateSla(node);
    return node;
  }

  function updateSla(node) {
    var due = parseTime(node.getAttribute("data-sla-due"));
    var done = node.getAttribute("data-sla-done");
    clear(node);
    if (done === "responded") {
      var late = node.getAttribute("data-sla-breached") === "1";
      node.className = "sla" + (late ? " breached" : "");
      append(node, ["SLA ", h("strong", null, late ? "首次响应超时" : "已按时响应")]);
      return;
    }
    if (done === "closed") {
      node.className = "sla";
      append(node, "SLA —");
      return;
    }
    if (due === null) { append(node, "SLA —"); return; }
    var left = due - Date.now();
    var breached = left <= 0 || node.getAttribute("data-sla-breached") === "1";
    node.className = "sla" + (breached ? " breached" : left < 120000 ? " soon" : "");
    var item = node.closest(".queue-item");
    if (item) item.classList.toggle("breached", breached);
    if (breached) append(node, ["SLA 已超时 ", h("strong", null, duration(-left))]);
    else append(node, ["SLA 剩余 ", h("strong", null, duration(left))]);
  }

  function tick() {
    var waits = document.querySelectorAll("[data-wait-since]");
    Array.prototype.forEach.call(waits, function (node) { setText(node, waitText(node.getAttribute("data-wait-since"))); });
    var slas = document.querySelectorAll("[data-sla-due]");
    Array.prototype.forEach.call(slas, updateSla);
  }

  function claim(item, button) {
    var hid = item.handoff_id !== undefined ? item.handoff_id : item.id;
    button.disabled = true;
    api("POST", "/api/handoffs/" + encodeURIComponent(hid) + "/claim").then(function () {
      toast("已接入会话");
      loadQueue();
      return loadMine().then(function () { openConversation(item.conversation_id); });
    }).catch(function (error) {
      button.disabled = false;
      toast(errorText(error, "接入失败"), "error");
      loadQueue();
    });
  }

  // ------------------------------------------------------------------ my conversations
  function convId(item) {
    if (!item) return null;
    if (item.conversation_id) return item.conversation_id;
    if (item.conversation && item.conversation.id) return item.conversation.id;
    return item.id;
  }

  function loadMine() {
    if (!state.token) return Promise.resolve();
    return api("GET", "/api/conversations").then(function (data) {
      state.mine = listOf(data, ["items", "conversations"]);
      renderMine();
    }).catch(function () { /* retried later */ });
  }

  function updatePreview(cid, text) {
    state.mine.forEach(function (item) { if (convId(item) === cid) item.preview = text; });
    renderMine();
  }

  function renderMine() {
    var list = $("mine-list");
    var focusedId = document.activeElement && document.activeElement.getAttribute("data-conversation-id");
    clear(list);
    state.mine.forEach(function (item) {
      var cid = convId(item);
      var conv = item.conversation || item;
      var handoff = item.handoff || item;
      var active = state.current && state.current.id === cid;
      var button = h("button", { type: "button", "data-conversation-id": cid,
        "aria-current": active ? "true" : null, onclick: function () { openConversation(cid); } },
        h("div", { "class": "row" },
          handoff.priority ? h("span", { "class": "badge", "data-priority": handoff.priority },
            label(PRIORITY, handoff.priority)) : null,
          handoff.category ? h("span", { "class": "tag" }, label(CATEGORY, handoff.category)) : null,
          h("span", { "class": "reason" }, handoff.reason ? label(REASON, handoff.reason) : "访客会话"),
          state.unread[cid] ? h("span", { "class": "unread", title: "有新消息", "aria-label": "有新消息",
            "data-testid": "unread-dot" }) : null),
        conv.state && conv.state !== "agent" || (state.me && state.me.role === "supervisor")
          ? h("div", { "class": "row small muted" }, label(STATE, conv.state) +
              (handoff.agent && conv.state === "agent" ? " · " + handoff.agent : ""))
          : null,
        h("div", { "class": "row" }, h("span", { "class": "preview" },
          item.preview || item.last_message || label(STATE, conv.state || item.state))));
      list.appendChild(h("li", { "class": "mine-item" + (active ? " active" : ""), "data-testid": "my-conversation-item",
        "data-conversation-id": cid }, button));
    });
    setText($("mine-count"), state.mine.length);
    $("mine-empty").hidden = state.mine.length > 0;
    if (focusedId) {
      var again = list.querySelector('button[data-conversation-id="' + cssEscape(focusedId) + '"]');
      if (again) again.focus();
    }
  }

  // ------------------------------------------------------------------ conversation view
  function openConversation(cid, options) {
    options = options || {};
    if (!cid) return Promise.resolve();
    return api("GET", "/api/conversations/" + encodeURIComponent(cid)).then(function (data) {
      state.current = { id: cid, conversation: data.conversation || {}, handoff: data.handoff || null,
        messages: [], ids: {}, notes: listOf(data.notes, []) };
      try { sessionStorage.setItem(OPEN_KEY, cid); } catch (e) { /* ignore */ }
      delete state.unread[cid];
      $("no-conversation").hidden = true;
      $("conversation-view").hidden = false;
      $("notes-panel").hidden = false;
      document.querySelector(".layout").classList.remove("no-notes");
      clear($("transcript"));
      listOf(data.messages, []).forEach(function (m) { addMessage(m, true); });
      renderSummary();
      renderNotes();
      renderMine();
      scrollTranscript(true);
      if (!options.quiet) $("reply-input").focus();
    }).catch(function (error) {
      if (options.quiet) { try { sessionStorage.removeItem(OPEN_KEY); } catch (e) { /* ignore */ } return; }
      toast(errorText(error, "无法打开会话"), "error");
    });
  }

  function reloadCurrent() {
    if (!state.current) return Promise.resolve();
    var cid = state.current.id;
    return api("GET", "/api/conversations/" + encodeURIComponent(cid)).then(function (data) {
      if (!state.current || state.current.id !== cid) return;
      state.current.conversation = data.conversation || state.current.conversation;
      state.current.handoff = data.handoff || null;
      state.current.notes = listOf(data.notes, []);
      listOf(data.messages, []).forEach(function (m) { addMessage(m); });
      renderSummary();
      renderNotes();
    }).catch(function (error) {
      if (error instanceof ApiError && (error.status === 403 || error.status === 404) &&
          state.current && state.current.id === cid) {
        toast("该会话已不在您的接待范围内（可能已结束或转给其他客服）");
        closeConversationView();
      }
    });
  }

  function closeConversationView() {
    state.current = null;
    try { sessionStorage.removeItem(OPEN_KEY); } catch (e) { /* ignore */ }
    $("conversation-view").hidden = true;
    $("notes-panel").hidden = true;
    document.querySelector(".layout").classList.add("no-notes");
    $("no-conversation").hidden = false;
    renderMine();
  }

  function renderSummary() {
    var cur = state.current;
    var conv = cur.conversation || {};
    var ho = cur.handoff || {};
    var priority = $("summary-priority");
    setText(priority, ho.priority ? label(PRIORITY, ho.priority) : "—");
    priority.setAttribute("data-priority", ho.priority || "normal");
    setText($("summary-category"), label(CATEGORY, ho.category));
    setText($("summary-tier"), ho.tier ? "T" + ho.tier + " " + label(TIER, ho.tier) : "—");
    setText($("summary-state"), label(STATE, conv.state));
    setText($("summary-reason"), label(REASON, ho.reason));
    var tns = ho.tracking_numbers || [];
    setText($("summary-tracking"), tns.length ? tns.join("、") : "—");
    var sender = conv.sender_id ? String(conv.sender_id) : "";
    var who = [sender ? "访客 " + (sender.length > 12 ? sender.slice(0, 8) + "…" : sender) : "—"];
    $("summary-customer").title = sender;
    if (ho.customer_tier) who.push(label(CUSTOMER_TIER, ho.customer_tier));
    who.push(conv.verified ? "已验证身份" : "未验证（个人信息已脱敏）");
    setText($("summary-customer"), who.join(" · "));
    setText($("summary-channel"), label(CHANNEL, conv.channel) + (conv.language ? " · " + (conv.language === "en" ? "英文" : "中文") : ""));
    setText($("summary-text"), ho.summary || "");
    var sla = $("summary-sla");
    sla.setAttribute("data-sla-due", ho.sla_due_at || "");
    sla.setAttribute("data-sla-breached", ho.sla_breached ? "1" : "");
    if (ho.first_agent_response_at) sla.setAttribute("data-sla-done", "responded");
    else if (ho.status && ho.status !== "waiting" && ho.status !== "assigned") sla.setAttribute("data-sla-done", "closed");
    else sla.removeAttribute("data-sla-done");
    updateSla(sla);

    var st = conv.state;
    var mineNow = st === "agent" && (!ho.agent_id || !state.me || ho.agent_id === state.me.id || state.me.role === "supervisor");
    var banner = $("closed-banner");
    var notice = null;
    if (st === "csat_pending") notice = "会话已解决，已向客户发送满意度评价。";
    else if (st === "closed") notice = conv.csat ? "会话已结束，客户满意度评分：" + conv.csat + "/5。" : "会话已结束。";
    else if (st === "bot") notice = "会话已交回机器人处理。";
    else if (st === "queued") notice = "会话在排队中，接入后才能回复。";
    else if (st === "ticket") notice = "客户在非工作时间留言，请通过留言工单跟进。";
    else if (st === "agent" && !mineNow) notice = "该会话由其他客服接待中。";
    var transcript = $("transcript");
    var atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
    banner.hidden = !notice;
    setText(banner, notice || "");
    if (atBottom) scrollTranscript();
    ["reply-input", "reply-send", "canned-toggle", "escalate-button", "resolve-button", "handback-button"].forEach(function (id) {
      $(id).disabled = !mineNow;
    });
  }

  function roleOf(message) {
    var role = message.role || "system";
    return role === "user" ? "customer" : role;
  }

  function addMessage(message, initial) {
    var cur = state.current;
    if (!cur || !message) return;
    if (message.conversation_id && message.conversation_id !== cur.id) return;
    var key = message.id !== undefined && message.id !== null ? String(message.id) : null;
    if (key && cur.ids[key]) return;
    if (key) cur.ids[key] = true;
    cur.messages.push(message);
    var role = roleOf(message);
    var who = role === "agent" ? (message.agent ? "客服 " + message.agent : "客服") : label(ROLE, role);
    // A widget payload (e.g. "/greet" when the chat opens) rather than typed text.
    var isPayload = role === "customer" && /^\/[A-Za-z_][\w.]*(\{.*\})?$/.test(String(message.text || ""));
    if (isPayload) who += " · 快捷指令";
    var ts = parseTime(message.created_at);
    var bubble = h("div", { "class": "bubble", "data-testid": "message-text" });
    if (message.image && /^(https?:\/\/|\/)/i.test(String(message.image))) {
      bubble.appendChild(h("img", { src: String(message.image), alt: "图片" }));
    }
    if (message.text) append(bubble, message.text);
    else if (!message.image && message.custom) append(bubble, "[结构化消息]");
    var buttons = Array.isArray(message.buttons) && message.buttons.length
      ? h("div", { "class": "buttons", "aria-label": "机器人提供的选项" }, message.buttons.map(function (b) {
          return h("span", null, (b && (b.title || b.payload)) || "");
        }))
      : null;
    var node = h("div", { "class": "msg " + role + (isPayload ? " payload" : ""), "data-testid": "message", "data-role": role,
      "data-message-id": key },
      h("div", { "class": "meta" }, h("span", null, who), h("time", { datetime: message.created_at || null }, clock(ts))),
      bubble, buttons);
    var transcript = $("transcript");
    var nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
    // Keep the transcript ordered by id (events and fetches may cross).
    var placed = false;
    if (key && /^\d+$/.test(key)) {
      var after = transcript.lastElementChild;
      while (after) {
        var id = after.getAttribute("data-message-id");
        if (!id || !/^\d+$/.test(id) || Number(id) < Number(key)) break;
        after = after.previousElementSibling;
      }
      if (after !== transcript.lastElementChild) {
        transcript.insertBefore(node, after ? after.nextSibling : transcript.firstChild);
        placed = true;
      }
    }
    if (!placed) transcript.appendChild(node);
    if (!initial && (nearBottom || role === "agent")) scrollTranscript();
  }

  function scrollTranscript() {
    var transcript = $("transcript");
    transcript.scrollTop = transcript.scrollHeight;
  }

  $("close-view").addEventListener("click", closeConversationView);

  // ------------------------------------------------------------------ reply
  var replyInput = $("reply-input");
  replyInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      sendReply();
    }
  });
  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    sendReply();
  });

  var sending = false;
  function sendReply() {
    var cur = state.current;
    var text = replyInput.value.trim();
    if (!cur || !text || sending || replyInput.disabled) return;
    sending = true;
    $("reply-send").disabled = true;
    api("POST", "/api/conversations/" + encodeURIComponent(cur.id) + "/messages", { text: text }).then(function (data) {
      if (replyInput.value.trim() === text) replyInput.value = "";
      if (data && data.message && state.current && state.current.id === cur.id) addMessage(data.message);
      if (state.current && state.current.id === cur.id && !(state.current.handoff || {}).first_agent_response_at) {
        reloadCurrent(); // first reply: the SLA is met
      }
    }).catch(function (error) {
      toast(errorText(error, "发送失败"), "error");
    }).then(function () {
      sending = false;
      $("reply-send").disabled = replyInput.disabled;
      replyInput.focus();
    });
  }

  // ------------------------------------------------------------------ canned replies
  var cannedToggle = $("canned-toggle");
  var cannedPopover = $("canned-popover");
  var cannedFilter = $("canned-filter");

  function openCanned() {
    var ready = state.canned ? Promise.resolve() : api("GET", "/api/canned-replies").then(function (data) {
      state.canned = listOf(data, ["items", "canned_replies", "replies"]);
    });
    ready.then(function () {
      cannedPopover.hidden = false;
      cannedToggle.setAttribute("aria-expanded", "true");
      cannedFilter.value = "";
      renderCanned();
      cannedFilter.focus();
    }).catch(function (error) { toast(errorText(error, "无法加载常用语"), "error"); });
  }

  function closeCanned(returnFocus) {
    cannedPopover.hidden = true;
    cannedToggle.setAttribute("aria-expanded", "false");
    if (returnFocus) cannedToggle.focus();
  }

  function renderCanned() {
    var list = $("canned-list");
    var query = cannedFilter.value.trim().toLowerCase();
    clear(list);
    var lang = state.current && state.current.conversation && state.current.conversation.language;
    var sameLanguage = (state.canned || []).filter(function (c) { return !c.language || !lang || c.language === lang; });
    var pool = sameLanguage.length ? sameLanguage : (state.canned || []);
    var items = pool.filter(function (c) {
      return !query || String(c.title || "").toLowerCase().indexOf(query) >= 0 ||
        String(c.text || "").toLowerCase().indexOf(query) >= 0;
    });
    if (!items.length) {
      list.appendChild(h("li", { "class": "empty" }, "没有匹配的常用语"));
      return;
    }
    items.forEach(function (c) {
      list.appendChild(h("li", null, h("button", { type: "button", "data-testid": "canned-item",
        "data-canned-id": c.id, onclick: function () { insertCanned(c.text || ""); } },
        h("span", { "class": "title" }, c.title || ""), h("span", { "class": "text" }, c.text || ""))));
    });
  }

  function insertCanned(text) {
    var start = replyInput.selectionStart, end = replyInput.selectionEnd;
    var value = replyInput.value;
    if (typeof start !== "number") { start = end = value.length; }
    replyInput.value = value.slice(0, start) + text + value.slice(end);
    closeCanned(false);
    replyInput.focus();
    var caret = start + text.length;
    replyInput.setSelectionRange(caret, caret);
  }

  cannedToggle.addEventListener("click", function () {
    if (cannedPopover.hidden) openCanned(); else closeCanned(true);
  });
  cannedFilter.addEventListener("input", renderCanned);
  cannedPopover.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closeCanned(true); return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var buttons = Array.prototype.slice.call(cannedPopover.querySelectorAll("button[data-canned-id]"));
      if (!buttons.length) return;
      event.preventDefault();
      var index = buttons.indexOf(document.activeElement);
      index = event.key === "ArrowDown" ? Math.min(buttons.length - 1, index + 1) : Math.max(0, index - 1);
      buttons[index].focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (!cannedPopover.hidden && !cannedPopover.contains(event.target) && event.target !== cannedToggle) closeCanned(false);
  });

  // ------------------------------------------------------------------ notes
  function renderNotes() {
    var list = $("notes-list");
    clear(list);
    var notes = (state.current && state.current.notes) || [];
    if (!notes.length) list.appendChild(h("li", { "class": "empty-note muted" }, "暂无备注"));
    notes.forEach(function (note) {
      list.appendChild(h("li", { "data-testid": "note" },
        h("div", { "class": "note-meta" }, (note.agent || "系统") + " · " + clock(parseTime(note.created_at))),
        h("div", { "class": "note-text" }, note.text || "")));
    });
    list.scrollTop = list.scrollHeight;
  }

  $("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var cur = state.current;
    var input = $("note-input");
    var text = input.value.trim();
    if (!cur || !text) return;
    api("POST", "/api/conversations/" + encodeURIComponent(cur.id) + "/notes", { text: text }).then(function (data) {
      input.value = "";
      var note = data && (data.note || (data.text ? data : null));
      if (note && state.current && state.current.id === cur.id) {
        state.current.notes.push(note);
        renderNotes();
      } else {
        reloadCurrent();
      }
      toast("备注已保存");
    }).catch(function (error) { toast(errorText(error, "备注保存失败"), "error"); });
  });
  $("note-input").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("note-form").requestSubmit();
    }
  });

  // ------------------------------------------------------------------ actions
  function confirmDialog(title, text) {
    return new Promise(function (resolve) {
      var dialog = $("confirm-dialog");
      setText($("confirm-title"), title);
      setText($("confirm-text"), text);
      dialog.returnValue = "";
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "confirm");
      });
      dialog.showModal();
      dialog.querySelector("[data-testid=confirm-ok]").focus();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("dialog [data-close]"), function (button) {
    button.addEventListener("click", function () { button.closest("dialog").close(""); });
  });

  function conversationAction(action, body, success, leaves) {
    var cur = state.current;
    if (!cur) return Promise.resolve();
    return api("POST", "/api/conversations/" + encodeURIComponent(cur.id) + "/" + action, body).then(function () {
      toast(success);
      if (leaves && state.current && state.current.id === cur.id) closeConversationView(); // no longer ours
      loadQueue();
      return loadMine().then(function () {
        if (state.current && state.current.id === cur.id) return reloadCurrent();
      });
    }).catch(function (error) {
      toast(errorText(error, "操作失败"), "error");
      reloadCurrent();
    });
  }

  $("resolve-button").addEventListener("click", function () {
    confirmDialog("解决并结束会话？", "客户将收到 1–5 分的满意度评价邀请。").then(function (ok) {
      if (ok) conversationAction("resolve", undefined, "会话已解决，已邀请客户评价");
    });
  });

  $("handback-button").addEventListener("click", function () {
    confirmDialog("交回机器人？", "机器人会带着本次会话的上下文继续为客户服务。").then(function (ok) {
      if (ok) conversationAction("handback", undefined, "已交回机器人");
    });
  });

  var escalateDialog = $("escalate-dialog");
  $("escalate-button").addEventListener("click", function () {
    $("escalate-note").value = "";
    setText($("escalate-error"), "");
    escalateDialog.returnValue = "";
    escalateDialog.showModal();
    $("escalate-note").focus();
  });
  $("escalate-form").addEventListener("submit", function (event) {
    var note = $("escalate-note").value.trim();
    if (!note) {
      event.preventDefault();
      setText($("escalate-error"), "请填写升级说明");
      $("escalate-note").focus();
    }
  });
  escalateDialog.addEventListener("close", function () {
    if (escalateDialog.returnValue !== "confirm") return;
    var note = $("escalate-note").value.trim();
    conversationAction("escalate", { note: note }, "已升级，会话已回到上一级客服的队列", true);
  });

  // ------------------------------------------------------------------ boot
  function boot() {
    var token = null;
    try { token = sessionStorage.getItem(TOKEN_KEY); } catch (e) { /* ignore */ }
    document.querySelector(".layout").classList.add("no-notes");
    if (!token) { showLogin(""); return; }
    state.token = token;
    api("GET", "/api/me").then(function (data) {
      start((data && data.agent) || data);
    }).catch(function (error) {
      if (error instanceof ApiError && error.status === 401) return; // sessionExpired() showed the form
      teardown();
      showLogin(errorText(error, "无法连接服务器"));
    });
  }

  boot();
})();
