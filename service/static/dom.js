/* Building the page: elements from data (text only, never innerHTML), marked ranges, the clipboard, a toast. */

import { kindLabel, t } from "./i18n.js";

export function $(id) {
  return document.getElementById(id);
}

/** Build an element. `props`: class, text, attrs {}, dataset {}, on {}; children: nodes or strings. */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    if (props.class) node.className = props.class;
    if (props.text != null) node.textContent = String(props.text);
    if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) if (v != null) node.setAttribute(k, String(v));
    if (props.dataset) for (const [k, v] of Object.entries(props.dataset)) if (v != null) node.dataset[k] = String(v);
    if (props.on) for (const [k, v] of Object.entries(props.on)) node.addEventListener(k, v);
  }
  for (const child of children) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A label that follows the UI language when it is switched. */
export function label(tag, key, cls) {
  return h(tag, { class: cls, text: t(key), dataset: { i18n: key } });
}

/** A small badge naming the passage kind; none when it would only repeat the id (前言, 附件一). */
export function kindBadge(kind, id) {
  const text = kindLabel(kind);
  if (!text || (typeof id === "string" && id.startsWith(text))) return null;
  return h("span", { class: "kind-badge kind-small", text, dataset: { kind } });
}

export function headingPath(heading) {
  return Array.isArray(heading) ? heading.filter((x) => typeof x === "string" && x.trim()).join(" › ") : "";
}

export function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url, document.baseURI);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch (_) {
    return null;
  }
}

export function normaliseRanges(ranges, length) {
  if (!Array.isArray(ranges)) return [];
  const valid = ranges
    .filter((r) => Array.isArray(r) && Number.isInteger(r[0]) && Number.isInteger(r[1]))
    .map(([s, e]) => [Math.max(0, s), Math.min(length, e)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged = [];
  for (const r of valid) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** Append `text` to `parent`, wrapping [start, end) ranges in elements made by `makeWrapper`. */
export function appendMarked(parent, text, ranges, makeWrapper) {
  const clean = normaliseRanges(ranges, text.length);
  let pos = 0;
  for (const [start, end] of clean) {
    if (start > pos) parent.append(document.createTextNode(text.slice(pos, start)));
    const wrapper = makeWrapper();
    wrapper.textContent = text.slice(start, end);
    parent.append(wrapper);
    pos = end;
  }
  if (pos < text.length) parent.append(document.createTextNode(text.slice(pos)));
}

let toastTimer = 0;

export function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    node.hidden = true;
  }, 2200);
}

/** Copy `text`; the asynchronous clipboard needs a secure context, so an offscreen textarea is the fallback. */
export async function copyText(text, returnFocus) {
  let ok = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      ok = true;
    }
  } catch (_) {
    ok = false;
  }
  if (!ok) {
    const area = h("textarea", { class: "visually-hidden", attrs: { readonly: "", "aria-hidden": "true" } });
    area.value = text;
    document.body.append(area);
    area.select();
    try {
      ok = document.execCommand("copy");
    } catch (_) {
      ok = false;
    }
    area.remove();
    if (returnFocus && returnFocus.isConnected) returnFocus.focus();
  }
  // What was copied, for anyone checking without clipboard access (tests, assistive tools).
  document.body.dataset.lastCopied = text;
  return ok;
}
