/* 速达快递 demo page: loads the stock rasa-webchat widget served by the gateway at
 * /static/vendor/rasa-webchat.js. When that bundle is not available (404, blocked),
 * a small built-in widget speaking the same socket.io events takes over, so the page
 * always has a working chat. All message text is rendered with textContent. */
(function () {
  "use strict";

  var VENDOR_URL = "/static/vendor/rasa-webchat.js";
  var OPTIONS = {
    socketUrl: location.origin,
    socketPath: "/socket.io/",
    customData: { language: "zh" },
    title: "速达快递在线客服",
    subtitle: "智能客服 · 人工客服",
    initPayload: "/greet",
    inputTextFieldHint: "请输入您的问题或运单号…",
    params: { storage: "local" },
    showMessageDate: true
  };

  function setKind(kind) {
    document.documentElement.setAttribute("data-widget", kind);
  }

  // ------------------------------------------------------------ sample numbers
  function initSamples() {
    var status = document.querySelector("[data-testid=copy-status]");
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var value = button.getAttribute("data-copy");
        var done = function () { if (status) status.textContent = "已复制 " + value + "，粘贴到对话框发送即可"; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(value).then(done, function () { legacyCopy(value); done(); });
        } else {
          legacyCopy(value);
          done();
        }
      });
    });
  }

  function legacyCopy(value) {
    var area = document.createElement("textarea");
    area.value = value;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing to do */ }
    document.body.removeChild(area);
  }

  // ------------------------------------------------------------ stock widget
  function loadStock() {
    var script = document.createElement("script");
    script.src = VENDOR_URL;
    script.async = true;
    script.onload = function () {
      if (window.WebChat && typeof window.WebChat.default === "function") {
        setKind("rasa-webchat");
        window.WebChat.default(OPTIONS, null);
      } else {
        startBuiltin("bundle loaded but window.WebChat is missing");
      }
    };
    script.onerror = function () { startBuiltin("bundle not available at " + VENDOR_URL); };
    (document.head || document.body).appendChild(script);
  }

  // ------------------------------------------------------------ built-in widget
  var STORE_KEY = "suda-webchat";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function loadState() {
    try {
      var raw = window.localStorage.getItem(STORE_KEY);
      var state = raw ? JSON.parse(raw) : null;
      if (state && Array.isArray(state.messages)) return state;
    } catch (e) { /* corrupt: start over */ }
    return { session_id: null, messages: [], initialized: false, open: false };
  }

  function saveState(state) {
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* full or blocked */ }
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function formatTime(ts) {
    var d = new Date(ts);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.5 3.4 6l-.9 3.6c-.1.4.3.7.7.5L9.6 19c.8.2 1.6.3 2.4.3 " +
      "5.5 0 10-3.6 10-8.1S17.5 3 12 3zm-4.5 9.3a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6zm4.5 0a1.3 1.3 0 110-2.6 " +
      "1.3 1.3 0 010 2.6zm4.5 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6z");
    svg.appendChild(path);
    return svg;
  }

  /** Minimal Socket.IO v5 / Engine.IO v4 client over a plain WebSocket. */
  function MiniSocket(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.ws = null;
    this.connected = false;
    this.retry = 0;
    this.closed = false;
    this.open();
  }
  MiniSocket.prototype.open = function () {
    var self = this;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + this.path +
      "?EIO=4&transport=websocket";
    var ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = function (event) { self.onPacket(String(event.data)); };
    ws.onclose = function () {
      var was = self.connected;
      self.connected = false;
      if (was && self.handlers.disconnect) self.handlers.disconnect();
      if (self.closed) return;
      var delay = Math.min(30000, 1000 * Math.pow(2, self.retry++)) * (0.75 + Math.random() * 0.5);
      setTimeout(function () { self.open(); }, delay);
    };
  };
  MiniSocket.prototype.onPacket = function (data) {
    var type = data.charAt(0);
    if (type === "0") { this.ws.send("40"); return; } // engine.io open -> connect namespace "/"
    if (type === "2") { this.ws.send("3"); return; } // ping -> pong
    if (type !== "4") return;
    var sioType = data.charAt(1);
    if (sioType === "0") {
      this.connected = true;
      this.retry = 0;
      if (this.handlers.connect) this.handlers.connect();
    } else if (sioType === "2") {
      var body = data.slice(2).replace(/^\d+/, ""); // (an ack id would precede the array)
      try {
        var parts = JSON.parse(body);
        var handler = this.handlers[parts[0]];
        if (handler) handler(parts[1]);
      } catch (e) { /* malformed packet */ }
    } else if (sioType === "4" || sioType === "1") {
      this.ws.close();
    }
  };
  MiniSocket.prototype.emit = function (event, payload) {
    if (!this.connected) return false;
    this.ws.send("42" + JSON.stringify([event, payload]));
    return true;
  };

  function startBuiltin(why) {
    if (document.documentElement.getAttribute("data-widget")) return;
    setKind("builtin");
    if (window.console) console.info("[速达客服] using the built-in chat widget:", why);

    var state = loadState();
    var socket = null;

    var badge = el("span", { "class": "sdw-badge", hidden: true });
    var launcher = el("button", {
      type: "button", "class": "sdw-launcher", "aria-label": "打开在线客服", "aria-expanded": "false",
      "data-testid": "builtin-launcher"
    }, [chatIcon(), badge]);
    var statusLine = el("div", { "class": "sdw-status", role: "status" });
    var list = el("div", { "class": "sdw-messages", role: "log", "aria-live": "polite", "aria-label": "对话记录",
      "data-testid": "builtin-messages" });
    var input = el("input", { type: "text", id: "sdw-input", placeholder: OPTIONS.inputTextFieldHint,
      autocomplete: "off", "data-testid": "builtin-input" });
    var send = el("button", { type: "submit", "data-testid": "builtin-send" }, ["发送"]);
    var form = el("form", { "class": "sdw-sender" }, [
      el("label", { "for": "sdw-input", "class": "sr-only" }, ["输入消息"]), input, send
    ]);
    var closeButton = el("button", { type: "button", "class": "sdw-close", "aria-label": "关闭对话" }, ["×"]);
    var panel = el("section", { "class": "sdw-panel", hidden: true, role: "dialog", "aria-label": OPTIONS.title,
      "data-testid": "builtin-panel" }, [
      el("div", { "class": "sdw-header" }, [
        el("div", { "class": "sdw-titles" }, [el("h2", { text: OPTIONS.title }), el("p", { text: OPTIONS.subtitle })]),
        closeButton
      ]),
      statusLine, list, form
    ]);
    document.body.appendChild(panel);
    document.body.appendChild(launcher);

    var unread = 0;

    // http(s) links in a message (e.g. the evidence upload link) become anchors; the rest stays text.
    var URL_RE = /https?:\/\/[^\s<>"'（）()，。]+/g;
    function appendLinkified(node, text) {
      var last = 0;
      text.replace(URL_RE, function (url, at) {
        if (at > last) node.appendChild(document.createTextNode(text.slice(last, at)));
        node.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url }));
        last = at + url.length;
        return url;
      });
      if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
    }

    function render() {
      while (list.firstChild) list.removeChild(list.firstChild);
      state.messages.forEach(function (m, index) {
        var who = m.who === "user" ? "sdw-user" : "sdw-bot";
        var bubble = el("div", { "class": "sdw-bubble" });
        if (m.image) bubble.appendChild(el("img", { src: m.image, alt: "图片" }));
        if (m.text) appendLinkified(bubble, m.text);
        list.appendChild(el("div", { "class": "sdw-msg " + who, "data-role": m.who }, [
          bubble, el("span", { "class": "sdw-time", text: formatTime(m.ts) })
        ]));
        var last = index === state.messages.length - 1;
        if (m.replies && m.replies.length && last) {
          list.appendChild(el("div", { "class": "sdw-replies" }, m.replies.map(function (r) {
            return el("button", { type: "button", onclick: function () { userSays(r.payload, r.title); } }, [r.title]);
          })));
        }
      });
      list.scrollTop = list.scrollHeight;
    }

    function setOpen(open) {
      state.open = open;
      saveState(state);
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", open ? "true" : "false");
      launcher.setAttribute("aria-label", open ? "收起在线客服" : "打开在线客服");
      if (open) {
        unread = 0;
        badge.hidden = true;
        render();
        input.focus();
        maybeInit();
      }
    }

    function maybeInit() {
      if (state.open && !state.initialized && socket && socket.connected && state.session_id) {
        if (socket.emit("user_uttered", { message: OPTIONS.initPayload, customData: OPTIONS.customData,
          session_id: state.session_id })) {
          state.initialized = true;
          saveState(state);
        }
      }
    }

    function userSays(message, shownAs) {
      if (!message) return;
      if (!socket || !socket.emit("user_uttered", { message: message, customData: OPTIONS.customData,
        session_id: state.session_id })) {
        statusLine.textContent = "正在连接客服系统，请稍候再发送…";
        return;
      }
      state.messages.push({ who: "user", text: shownAs || message, ts: Date.now() });
      saveState(state);
      render();
    }

    // The gateway speaks Markdown on this channel (the stock widget renders it): shown as
    // text here, hard line breaks become line breaks and escaped characters themselves.
    function plainFromMarkdown(text) {
      return text.replace(/ {2}\n/g, "\n").replace(/\\([\\`*_{}\[\]<>#|~+-])/g, "$1");
    }

    function onBotUttered(data) {
      if (!data || typeof data !== "object") return;
      var replies = data.quick_replies || data.buttons || [];
      var image = data.attachment && data.attachment.type === "image" && data.attachment.payload
        ? data.attachment.payload.src : null;
      if (!data.text && !image && !replies.length) return; // custom payloads are not shown
      state.messages.push({
        who: "bot", text: typeof data.text === "string" ? plainFromMarkdown(data.text) : "", image: image || null,
        replies: replies.map(function (r) { return { title: String(r.title), payload: String(r.payload || r.title) }; }),
        ts: Date.now()
      });
      saveState(state);
      if (state.open) render();
      else {
        unread += 1;
        badge.textContent = String(unread);
        badge.hidden = false;
      }
    }

    socket = new MiniSocket(OPTIONS.socketPath, {
      connect: function () {
        statusLine.textContent = "";
        socket.emit("session_request", { session_id: state.session_id });
      },
      disconnect: function () { statusLine.textContent = "连接已断开，正在重新连接…"; },
      session_confirm: function (data) {
        var sid = data && data.session_id ? data.session_id : data;
        if (typeof sid !== "string" || !sid) sid = state.session_id || randomId();
        if (sid !== state.session_id) {
          state = { session_id: sid, messages: [], initialized: false, open: state.open };
          saveState(state);
          render();
        }
        maybeInit();
      },
      bot_uttered: onBotUttered
    });

    launcher.addEventListener("click", function () { setOpen(panel.hidden); });
    closeButton.addEventListener("click", function () { setOpen(false); launcher.focus(); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { setOpen(false); launcher.focus(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      userSays(text);
    });
    if (state.open) setOpen(true); else render();
  }

  function boot() {
    initSamples();
    loadStock();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
