/* Calls to the service: JSON in and out, errors with the server's `detail`, the API key when one is needed. */

import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

function detailOf(body) {
  if (!body || typeof body !== "object") return "";
  const d = body.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) {
    return d
      .map((x) => (x && typeof x === "object" ? [(x.loc || []).slice(1).join("."), x.msg].filter(Boolean).join(": ") : String(x)))
      .join("; ");
  }
  return d == null ? "" : JSON.stringify(d);
}

// When the service runs with CITEQA_API_KEY, the page asks for the key once and keeps it in this browser.
const KEY_STORE = "citeqa.apiKey";

export async function api(path, options = {}, retried = false) {
  const url = new URL(path, document.baseURI);
  let response;
  const key = localStorage.getItem(KEY_STORE);
  try {
    response = await fetch(url, {
      ...options,
      headers: { Accept: "application/json", ...(key ? { "X-API-Key": key } : {}), ...(options.headers || {}) },
      credentials: "same-origin",
    });
  } catch (_) {
    throw new ApiError(t("networkError"), 0);
  }
  if (response.status === 401 && !retried) {
    const given = window.prompt("API key / 访问密钥");
    if (given) {
      localStorage.setItem(KEY_STORE, given.trim());
      return api(path, options, true);
    }
  }
  let body = null;
  const raw = await response.text();
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch (_) {
    body = null;
  }
  if (!response.ok) throw new ApiError(detailOf(body) || `HTTP ${response.status} ${response.statusText}`.trim(), response.status);
  if (body === null || typeof body !== "object") throw new ApiError(`HTTP ${response.status}: invalid JSON`, response.status);
  return body;
}
