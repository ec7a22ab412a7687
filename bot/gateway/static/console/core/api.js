/* Client of the agent API (docs/gateway-contract.md): JSON in and out, the agent's
 * bearer token on every call, JSON errors ({"error": code}) turned into ApiError and
 * into sentences an agent can act on.
 *
 * A 401 on any call but the login itself means the token is no longer valid: api()
 * announces "session:expired" and session.js sends the agent back to the login form. */
import { emit, state } from "./store.js";

export class ApiError extends Error {
  constructor(status, body) {
    const code = (body && body.error) || "http_" + status;
    super(code);
    this.name = "ApiError";
    this.status = status;
    this.body = body || {};
    this.code = code;
  }
}

/** Call the API; resolves with the parsed JSON (null for an empty body), rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const raw = await response.text();
  let data = null;
  if (raw) {
    try {
      data = JSON.parse(raw);
    } catch (e) {
      data = { raw };
    }
  }
  if (response.status === 401 && path !== "/api/login") emit("session:expired");
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** The list in an answer: the answer itself, or the first of these keys that holds a list. */
export function listOf(data, keys) {
  if (Array.isArray(data)) return data;
  if (!data) return [];
  for (const key of keys) if (Array.isArray(data[key])) return data[key];
  return [];
}

const ERRORS = {
  already_claimed: "该会话已被其他客服接入",
  cap_reached: "您同时接待的会话已达上限，请先处理手头的会话",
  not_found: "会话不存在或已结束",
  forbidden: "没有权限执行此操作",
  invalid_credentials: "用户名或密码错误",
  empty_text: "内容不能为空",
  not_assigned: "该会话不在您名下",
  invalid_state: "会话状态已变化，请刷新后重试",
  top_tier: "已是最高一级（管理层），无法继续升级",
  bot_unavailable: "机器人暂时不可用，无法交回，请继续人工接待或结束会话",
};

/** A sentence for the agent about a failed call; fallback names what failed ("发送失败"). */
export function errorText(error, fallback) {
  if (error instanceof ApiError) {
    if (Object.prototype.hasOwnProperty.call(ERRORS, error.code)) return ERRORS[error.code];
    if (error.body && typeof error.body.message === "string") return error.body.message;
    if (error.status === 0 || error.status >= 500) return "服务器暂时不可用，请稍后重试";
    return (fallback || "操作失败") + "（" + error.code + "）";
  }
  return "无法连接服务器，请检查网络后重试";
}
