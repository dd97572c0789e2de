/* The passage panel: a cited passage in full, the quote marked, tables as tables, links to what it cites. */

import { api } from "./api.js";
import { citationOf, citeActions, idForms } from "./citations.js";
import { $, appendMarked, copyText, h, headingPath, label, normaliseRanges, safeUrl, toast } from "./dom.js";
import { kindLabel, t } from "./i18n.js";
import { renderTable, tableFallbackNote } from "./tables.js";

const panelState = { seq: 0, opener: null, currentId: null };

export function panelOpen() {
  return !$("passage-panel").hidden;
}

export function closePanel() {
  if (!panelOpen()) return;
  panelState.seq++;
  $("passage-panel").hidden = true;
  document.body.classList.remove("panel-open");
  panelState.currentId = null;
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
  const named = idForms(cited || passage);
  if (named) forms.append(named);
  const heading = headingPath(passage.heading);
  $("passage-heading").textContent = heading;
  $("passage-heading").hidden = !heading;

  const text = typeof passage.text === "string" ? passage.text : "";
  const sameText = cite && cite.text === text;
  const quoteRange = cite ? findQuote(text, cite.quote) : null;
  const container = $("passage-text");
  let focus = null;
  const table = passage.table ? renderTable(passage.table, { cellId: cite && cite.cell, quoteRange }) : null;
  $("passage-panel").dataset.view = table ? "table" : "text";
  if (table) {
    container.replaceChildren(table.node);
    focus = table.hit;
  } else {
    focus = renderPassageText(container, text, quoteRange, sameText ? cite.highlights : []);
    if (passage.table && passage.table.aligned === false) container.prepend(tableFallbackNote());
  }

  const actions = $("passage-cite-actions");
  actions.replaceChildren();
  if (cited) actions.append(citeActions(cited));
  else if (typeof passage.cite_zh === "string") actions.append(citeActions({ ...passage, quote: null, text: null }));

  renderSymbols(passage);
  renderFamily(passage);

  const doc = typeof passage.doc === "string" && passage.doc ? passage.doc : cite && cite.doc;
  const docLine = $("passage-doc");
  docLine.replaceChildren();
  if (doc) docLine.append(label("span", "documentLabel"), t("colon"), h("span", { text: doc }));
  docLine.hidden = !doc;
  return focus;
}

export async function openPassage(id, cite, opener) {
  if (typeof id !== "string" || !id) return;
  const seq = ++panelState.seq;
  const panel = $("passage-panel");
  if (!panelOpen()) panelState.opener = opener || document.activeElement;
  panel.hidden = false;
  document.body.classList.add("panel-open");
  panel.dataset.id = id;
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
