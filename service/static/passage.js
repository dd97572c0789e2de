/* The passage panel: a cited passage in full, the quote marked, tables as tables, links to what it cites. */

import { api } from "./api.js";
import { citationOf, citeActions, copyAndSay, idForms, quoteWithCitation } from "./citations.js";
import { $, appendMarked, copyText, h, headingPath, label, normaliseRanges, safeUrl, toast } from "./dom.js";
import { kindLabel, t } from "./i18n.js";
import { measureTable, renderTable, tableFallbackNote } from "./tables.js";

const panelState = { seq: 0, opener: null, currentId: null };

export function panelOpen() {
  return !$("passage-panel").hidden;
}

/** The open passage in the address (#4.88(b)), so the link opens it; replaced, not pushed: Back leaves the page. */
function setHash(id) {
  const url = new URL(window.location.href);
  url.hash = id ? encodeURIComponent(id).replace(/%2F/gi, "/") : "";
  const href = id ? url.href : url.href.replace(/#$/, "");
  if (href !== window.location.href) window.history.replaceState(window.history.state, "", href);
}

/** The passage id an address names (#4.88(b), #%E8%A1%A84.24), or null. */
export function hashId() {
  const raw = window.location.hash.slice(1);
  if (!raw) return null;
  let id = raw;
  try {
    id = decodeURIComponent(raw).trim();
  } catch (_) {
    /* keep it as typed */
  }
  // An anchor of the page itself (the skip link's #chat-input) is no passage.
  return id && !document.getElementById(id) ? id : null;
}

export function closePanel() {
  if (!panelOpen()) return;
  panelState.seq++;
  $("passage-panel").hidden = true;
  document.body.classList.remove("panel-open");
  panelState.currentId = null;
  setHash(null);
  const opener = panelState.opener;
  panelState.opener = null;
  if (opener && opener.isConnected) opener.focus();
}

/** Locate the quote in the passage text; fall back to whitespace-insensitive matching. */
function findQuote(text, quote) {
  if (typeof quote !== "string" || !quote.trim()) return null;
  const exact = text.indexOf(quote);
  if (exact >= 0) return [exact, exact + quote.length];
  const trimmed = quote.trim();
  const idx = text.indexOf(trimmed);
  if (idx >= 0) return [idx, idx + trimmed.length];
  return null;
}

function renderPassageText(container, text, quoteRange, highlights) {
  container.replaceChildren();
  const hl = normaliseRanges(highlights, text.length);
  const hlSpan = () => h("span", { class: "hl" });
  // Text outside the quote: plain text with term highlights.
  const plain = (from, to) => {
    const local = hl.map(([s, e]) => [Math.max(s, from) - from, Math.min(e, to) - from]).filter(([s, e]) => e > s);
    appendMarked(container, text.slice(from, to), local, hlSpan);
  };
  if (!quoteRange) {
    plain(0, text.length);
    return null;
  }
  const [qs, qe] = quoteRange;
  plain(0, qs);
  const mark = h("mark", { class: "quote", dataset: { testid: "passage-quote" } });
  const local = hl.map(([s, e]) => [Math.max(s, qs) - qs, Math.min(e, qe) - qs]).filter(([s, e]) => e > s);
  appendMarked(mark, text.slice(qs, qe), local, hlSpan);
  container.append(mark);
  plain(qe, text.length);
  return mark;
}

function setPassageStatus(text, isError) {
  const status = $("passage-status");
  status.textContent = text || "";
  status.hidden = !text;
  status.classList.toggle("status-error", Boolean(isError));
  status.setAttribute("role", isError ? "alert" : "status");
}

function renderSymbols(passage) {
  const symbols = Array.isArray(passage.symbols) ? passage.symbols : [];
  const list = $("passage-symbols");
  list.replaceChildren();
  for (const sym of symbols) {
    if (!sym || typeof sym.symbol !== "string") continue;
    const href = safeUrl(sym.url);
    list.append(
      h(
        "li",
        null,
        href
          ? h(
              "a",
              { attrs: { href, target: "_blank", rel: "noopener noreferrer", hreflang: "zh" }, text: sym.symbol },
              h("span", { class: "ext", attrs: { "aria-hidden": "true" }, text: " ↗" }),
            )
          : h("span", { class: "symbol-plain", text: sym.symbol }),
      ),
    );
  }
  $("passage-symbols-wrap").hidden = !list.children.length;
}

function renderFamily(passage) {
  const family = $("passage-family");
  family.replaceChildren();
  const link = (fid) =>
    h("button", { class: "family-link", text: fid, attrs: { type: "button", "aria-label": t("openPassage", fid) }, dataset: { id: fid } });
  if (typeof passage.parent === "string" && passage.parent) {
    family.append(h("li", null, label("span", "parent", "family-label"), " ", link(passage.parent)));
  }
  const children = Array.isArray(passage.children) ? passage.children.filter((c) => typeof c === "string") : [];
  if (children.length) {
    const li = h("li", null, label("span", "children", "family-label"), " ");
    children.forEach((c, i) => {
      if (i > 0) li.append(" ");
      li.append(link(c));
    });
    family.append(li);
  }
  $("passage-family-wrap").hidden = !family.children.length;
}

function renderPassage(passage, cite) {
  const id = typeof passage.id === "string" ? passage.id : cite ? cite.id : "";
  panelState.currentId = id;
  $("passage-id").textContent = id;
  const kind = $("passage-kind");
  kind.textContent = kindLabel(passage.kind);
  kind.dataset.kind = passage.kind || "";
  kind.hidden = !passage.kind || id.startsWith(kindLabel(passage.kind));
  // The citation's fields where it is the one shown, else the passage's own (opened from a family link).
  const cited = cite && cite.id === id ? cite : null;
  const forms = $("passage-id-forms");
  forms.replaceChildren();
  const idNames = idForms(cited || passage);
  if (idNames) forms.append(idNames);
  const heading = headingPath(passage.heading);
  $("passage-heading").textContent = heading;
  $("passage-heading").hidden = !heading;

  const text = typeof passage.text === "string" ? passage.text : "";
  const sameText = cite && cite.text === text;
  // A row or cell id (表4.6/r10/c2) opened without a citation marks what it names.
  const named = !cite && passage.focus && typeof passage.focus === "object" ? passage.focus : null;
  const quoteRange = cite
    ? findQuote(text, cite.quote)
    : named && Number.isInteger(named.start) && Number.isInteger(named.end)
      ? [named.start, named.end]
      : null;
  const cellId = cite ? cite.cell : named && named.kind === "cell" ? named.id : null;
  const container = $("passage-text");
  let focus = null;
  const table = passage.table ? renderTable(passage.table, { cellId, quoteRange }) : null;
  $("passage-panel").dataset.view = table ? "table" : "text";
  if (table) {
    container.replaceChildren(table.node);
    measureTable(table.node);
    focus = table.hit;
  } else {
    focus = renderPassageText(container, text, quoteRange, sameText ? cite.highlights : []);
    if (passage.table && passage.table.aligned === false) container.prepend(tableFallbackNote());
  }

  const actions = $("passage-cite-actions");
  actions.replaceChildren();
  if (cited) actions.append(citeActions(cited));
  else if (typeof passage.cite_zh === "string") actions.append(citeActions({ ...passage, quote: null, text: null }));
  const extra = panelExtras(passage, cited, named);
  if (extra) actions.append(extra);

  renderSymbols(passage);
  renderFamily(passage);

  const doc = typeof passage.doc === "string" && passage.doc ? passage.doc : cite && cite.doc;
  const docLine = $("passage-doc");
  docLine.replaceChildren();
  if (doc) docLine.append(label("span", "documentLabel"), t("colon"), h("span", { text: doc }));
  docLine.hidden = !doc;
  return focus;
}

/** Beside the citation buttons: one button that copies the quote with its citation, and for a table its CSV. */
function panelExtras(passage, cited, named) {
  const quote = cited && typeof cited.quote === "string" && cited.quote.trim() ? cited.quote : named && typeof named.quote === "string" ? named.quote : "";
  const source = cited || (typeof passage.cite_zh === "string" ? passage : null);
  const copy =
    quote && source
      ? h("button", { class: "btn btn-quiet btn-small copy-quote-cite", attrs: { type: "button" }, dataset: { testid: "copy-quote-cite" } })
      : null;
  if (copy) {
    copy.append(label("span", "copyQuoteCite"));
    copy.addEventListener("click", (event) => {
      event.stopPropagation();
      copyAndSay(quoteWithCitation(quote, source), copy, "copiedQuoteCite");
    });
  }
  const table = passage.table;
  const csv =
    table && table.aligned === true && typeof passage.id === "string"
      ? h(
          "a",
          {
            class: "btn btn-quiet btn-small table-csv",
            attrs: { href: new URL(`tables/${encodeURIComponent(passage.id)}.csv`, document.baseURI).href, download: `${passage.id}.csv`, type: "text/csv" },
            dataset: { testid: "table-csv" },
          },
          label("span", "downloadCsv"),
        )
      : null;
  if (csv) csv.addEventListener("click", (event) => downloadWithKey(event, csv));
  if (!copy && !csv) return null;
  return h("div", { class: "cite-actions panel-extras" }, copy, csv);
}

/** With an API key in this browser, a plain link would be refused (401): fetch the file with the key instead. */
async function downloadWithKey(event, link) {
  const key = window.localStorage.getItem("citeqa.apiKey");
  if (!key) return; // the link works as it is
  event.preventDefault();
  try {
    const response = await fetch(link.href, { headers: { "X-API-Key": key }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const a = h("a", { attrs: { href: url, download: link.getAttribute("download") } });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    toast(`${t("error")}${t("colon")}${err.message}`);
  }
}

export async function openPassage(id, cite, opener) {
  if (typeof id !== "string" || !id) return;
  const seq = ++panelState.seq;
  const panel = $("passage-panel");
  if (!panelOpen()) panelState.opener = opener || document.activeElement;
  panel.hidden = false;
  document.body.classList.add("panel-open");
  panel.dataset.id = id;
  setHash(id);
  if (cite) citationOf.set(panel, cite);
  panel.setAttribute("aria-busy", "true");

  if (cite && typeof cite.text === "string") {
    renderPassage({ id: cite.id, kind: cite.kind, heading: cite.heading, text: cite.text, doc: cite.doc }, cite);
  } else {
    renderPassage({ id, text: "" }, null);
  }
  setPassageStatus(t("loading"));
  panel.focus({ preventScroll: true });

  try {
    const passage = await api(`passages/${encodeURIComponent(id)}`);
    if (seq !== panelState.seq) return;
    const focus = renderPassage(passage, cite);
    setPassageStatus("");
    // The panel's own sticky head must not cover what is scrolled to either.
    panel.style.setProperty("--panel-head-height", `${Math.ceil($("passage-panel").querySelector(".panel-head").getBoundingClientRect().height)}px`);
    if (focus) focus.scrollIntoView({ block: "center", inline: "nearest" });
    else panel.scrollTop = 0;
  } catch (err) {
    if (seq !== panelState.seq) return;
    if (cite && typeof cite.text === "string") setPassageStatus(`${t("passageFallback")} (${err.message})`, false);
    else setPassageStatus(`${t("error")}${err.status ? ` (${err.status})` : ""}${t("colon")}${err.message}`, true);
  } finally {
    if (seq === panelState.seq) panel.setAttribute("aria-busy", "false");
  }
}

export async function copyId() {
  const id = panelState.currentId;
  if (!id) return;
  const ok = await copyText(id, $("passage-copy"));
  toast(ok ? t("copied", id) : t("copyFailed"));
}
