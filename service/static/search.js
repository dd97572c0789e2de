/* The search pane: ranked passages for the typed words, a snippet each with its matches marked, paged. */

import { api } from "./api.js";
import { citationOf } from "./citations.js";
import { $, appendMarked, h, headingPath, kindBadge, normaliseRanges } from "./dom.js";
import { t } from "./i18n.js";

const PAGE = 10;
const SNIPPET_LEN = 180;
const search = { seq: 0, timer: 0, last: null };

/** The server's snippet when it sent one; else a window of `text` around its first highlight. */
function snippetOf(cite) {
  const text = typeof cite.text === "string" ? cite.text : "";
  const s = cite.snippet;
  if (s && typeof s.text === "string" && Number.isInteger(s.start) && Number.isInteger(s.end)) {
    return { text: s.text, ranges: normaliseRanges(s.highlights, s.text.length), head: s.start > 0, tail: s.end < text.length };
  }
  const ranges = normaliseRanges(cite.highlights, text.length);
  if (text.length <= SNIPPET_LEN) return { text, ranges, head: false, tail: false };
  const first = ranges.length ? ranges[0][0] : 0;
  let start = Math.max(0, first - 40);
  const end = Math.min(text.length, start + SNIPPET_LEN);
  start = Math.max(0, Math.min(start, end - SNIPPET_LEN));
  const shifted = ranges.map(([a, b]) => [Math.max(a, start) - start, Math.min(b, end) - start]).filter(([a, b]) => b > a);
  return { text: text.slice(start, end), ranges: shifted, head: start > 0, tail: end < text.length };
}

function resultItem(cite, rank) {
  const heading = headingPath(cite.heading);
  const open = h(
    "button",
    {
      class: "result-open",
      attrs: { type: "button", "aria-label": `${t("openPassage", cite.id)}${heading ? ` — ${heading}` : ""}` },
      dataset: { id: cite.id },
    },
    h("span", { class: "result-id", text: cite.id }),
    kindBadge(cite.kind, cite.id),
  );
  citationOf.set(open, cite);
  const snip = snippetOf(cite);
  const body = h("p", { class: "result-text" });
  if (snip.head) body.append("…");
  appendMarked(body, snip.text, snip.ranges, () => document.createElement("mark"));
  if (snip.tail) body.append("…");
  const score = typeof cite.score === "number" && Number.isFinite(cite.score) ? cite.score : null;
  return h(
    "li",
    { class: "result", dataset: { id: cite.id, rank, score: score == null ? "" : score, testid: "search-result" } },
    h(
      "div",
      { class: "result-top" },
      h("span", { class: "result-rank", text: `${rank}.`, attrs: { "aria-hidden": "true" } }),
      open,
      typeof cite.label_en === "string" ? h("span", { class: "id-en", attrs: { lang: "en" }, text: cite.label_en }) : null,
      score == null ? null : h("span", { class: "result-score", text: `${t("score")} ${score.toFixed(2)}` }),
    ),
    heading ? h("p", { class: "result-heading", text: heading }) : null,
    body,
  );
}

function setSearchStatus(text, isError) {
  const status = $("search-status");
  status.textContent = text;
  status.classList.toggle("status-error", Boolean(isError));
}

/** Show `results` (all pages fetched so far) for `query`, with a button for the next page when there is one. */
export function renderResults() {
  const list = $("search-results");
  const more = $("search-more");
  if (!search.last) return;
  const { query, results, total, tookMs } = search.last;
  list.replaceChildren(...results.filter((c) => c && typeof c.id === "string").map((c, i) => resultItem(c, i + 1)));
  const took = typeof tookMs === "number" ? ` · ${Math.round(tookMs)} ms` : "";
  const n = list.children.length;
  setSearchStatus(n ? `${total > n ? t("resultsOf", n, total) : t("results", n)}${took}` : t("noResults"));
  list.dataset.query = query;
  list.dataset.total = String(total);
  more.hidden = !(total > n);
}

export async function runSearch(rawQuery, append = false) {
  window.clearTimeout(search.timer);
  const query = String(rawQuery || "").trim();
  const seq = ++search.seq;
  const list = $("search-results");
  if (!query) {
    search.last = null;
    delete list.dataset.query;
    list.replaceChildren();
    $("search-more").hidden = true;
    setSearchStatus("");
    list.setAttribute("aria-busy", "false");
    return;
  }
  const offset = append && search.last && search.last.query === query ? search.last.results.length : 0;
  setSearchStatus(t("searching"));
  list.setAttribute("aria-busy", "true");
  try {
    const resp = await api(`search?q=${encodeURIComponent(query)}&top_k=${PAGE}&offset=${offset}`);
    if (seq !== search.seq) return;
    const results = Array.isArray(resp.results) ? resp.results : [];
    const before = offset ? search.last.results : [];
    const total = Number.isInteger(resp.total) ? resp.total : before.length + results.length;
    search.last = { query, results: [...before, ...results], total, tookMs: resp.took_ms };
    renderResults();
  } catch (err) {
    if (seq !== search.seq) return;
    list.replaceChildren();
    delete list.dataset.query;
    search.last = null;
    $("search-more").hidden = true;
    setSearchStatus(`${t("error")}${err.status ? ` (${err.status})` : ""}${t("colon")}${err.message}`, true);
  } finally {
    if (seq === search.seq) list.setAttribute("aria-busy", "false");
  }
}

export function searchSoon(value) {
  window.clearTimeout(search.timer);
  search.timer = window.setTimeout(() => runSearch(value), 250);
}
