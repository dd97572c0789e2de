/* Citations as the page shows them: markers in answer text, the sources list, copy-citation and copy-quote. */

import { copyText, h, headingPath, kindBadge, label, safeUrl, toast } from "./dom.js";
import { t, ui } from "./i18n.js";

/** Citation data attached to the element that opens it. */
export const citationOf = new WeakMap();

// A marker is "[...]" holding one or more passage ids, e.g. [4.86], [4.88(b)㈠; 表4.24].
const MARKER_RE = /\[([^[\]\n]{1,120})\]/g;
const ID_LIKE_RE = /^(?:\d+\.\d+\S*|表\s?\S+|图\s?\S+|前言|附件\S*)$/;
const ID_SEP_RE = /\s*[,，;；、]\s*/;

export function citationButton(id, cite, cls) {
  const button = h("button", {
    class: cls ? `citation ${cls}` : "citation",
    text: id,
    attrs: { type: "button", "aria-label": t("openPassage", id), title: t("openPassage", id) },
    dataset: { id, testid: "citation" },
  });
  if (cite) citationOf.set(button, cite);
  return button;
}

/** The ids `answer` marks ([4.86], [4.88(b)㈠; 表4.24]) that are among the citations `byId`, in order, once each. */
export function markedIds(answer, byId) {
  const out = [];
  for (const match of (typeof answer === "string" ? answer : "").matchAll(MARKER_RE)) {
    for (const id of match[1].split(ID_SEP_RE).map((s) => s.trim())) if (byId.has(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

/** Render the answer text, turning citation markers into buttons. */
export function renderAnswerText(answer, byId, cls = "answer-text") {
  const p = h("p", { class: cls });
  const text = typeof answer === "string" ? answer : "";
  let pos = 0;
  for (const match of text.matchAll(MARKER_RE)) {
    const ids = match[1].split(ID_SEP_RE).map((s) => s.trim()).filter(Boolean);
    const allIds = ids.length > 0 && ids.every((id) => byId.has(id) || ID_LIKE_RE.test(id));
    if (!allIds) continue;
    if (match.index > pos) p.append(document.createTextNode(text.slice(pos, match.index)));
    const group = h("span", { class: "marker" }, "[");
    ids.forEach((id, i) => {
      if (i > 0) group.append(", ");
      group.append(citationButton(id, byId.get(id)));
    });
    group.append("]");
    p.append(group);
    pos = match.index + match[0].length;
  }
  if (pos < text.length) p.append(document.createTextNode(text.slice(pos)));
  return p;
}

/** The copy-ready citation in the UI language ("A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段" / "…, para. 4.88 (b) (i)"). */
export function citeText(cite) {
  const zh = typeof cite.cite_zh === "string" ? cite.cite_zh : null;
  const en = typeof cite.cite_en === "string" ? cite.cite_en : null;
  return (ui.lang === "en" ? en || zh : zh || en) || [cite.doc, cite.id].filter(Boolean).join(", ");
}

function quoteOf(cite) {
  return typeof cite.quote === "string" && cite.quote.trim() ? cite.quote : typeof cite.text === "string" ? cite.text : "";
}

export async function copyAndSay(text, button, key) {
  const ok = await copyText(text, button);
  toast(ok ? `${t(key)}${t("colon")}${text.length > 60 ? `${text.slice(0, 60)}…` : text}` : t("copyFailed"));
}

/** "第 4.88 (b) ㈠ 段 · para. 4.88 (b) (i)": both id forms, for readers of either language. */
export function idForms(cite) {
  const zh = typeof cite.label_zh === "string" ? cite.label_zh : null;
  const en = typeof cite.label_en === "string" ? cite.label_en : null;
  if (!zh && !en) return null;
  return h(
    "span",
    { class: "id-forms" },
    zh ? h("span", { class: "id-zh", attrs: { lang: "zh-Hans" }, text: zh }) : null,
    zh && en ? " · " : null,
    en ? h("span", { class: "id-en", attrs: { lang: "en" }, text: en, dataset: { testid: "id-en" } }) : null,
  );
}

/** Copy-citation and copy-quote buttons, and the official document's link. */
export function citeActions(cite) {
  const copyCite = h("button", {
    class: "btn btn-quiet btn-small copy-cite",
    attrs: { type: "button" },
    dataset: { testid: "copy-cite" },
  });
  copyCite.append(label("span", "copyCite"));
  copyCite.addEventListener("click", (event) => {
    event.stopPropagation();
    copyAndSay(citeText(cite), copyCite, "copiedCite");
  });
  const quote = quoteOf(cite);
  const copyQuote = quote
    ? h("button", { class: "btn btn-quiet btn-small copy-quote", attrs: { type: "button" }, dataset: { testid: "copy-quote" } })
    : null;
  if (copyQuote) {
    copyQuote.append(label("span", "copyQuote"));
    copyQuote.addEventListener("click", (event) => {
      event.stopPropagation();
      copyAndSay(quote, copyQuote, "copiedQuote");
    });
  }
  const href = safeUrl(cite.source_url);
  const doc = href
    ? h(
        "a",
        { class: "source-doc", attrs: { href, target: "_blank", rel: "noopener noreferrer", hreflang: "zh" } },
        label("span", "officialDoc"),
        h("span", { class: "ext", attrs: { "aria-hidden": "true" }, text: " ↗" }),
      )
    : null;
  return h("div", { class: "cite-actions" }, copyCite, copyQuote, doc);
}

function sourceItem(cite, cited) {
  const heading = headingPath(cite.heading);
  const item = h(
    "li",
    { class: cited ? "source source-cited" : "source", dataset: { id: cite.id, cited: String(cited) } },
    h(
      "div",
      { class: "source-top" },
      citationButton(cite.id, cite, "source-id"),
      cited ? h("span", { class: "cited-badge", text: t("citedBadge"), attrs: { title: t("citedAria") }, dataset: { i18n: "citedBadge" } }) : null,
      kindBadge(cite.kind, cite.id),
      idForms(cite),
    ),
    heading && heading !== cite.id ? h("p", { class: "source-heading", text: heading }) : null,
  );
  const quote = quoteOf(cite);
  if (quote) item.append(h("blockquote", { class: "source-quote", attrs: { lang: "zh-Hans" }, text: quote }));
  item.append(citeActions(cite));
  return item;
}

/** "Sources": the passages the answer cites (its [id] markers), marked as such, then the other passages the
 * service returned, folded under "Related passages". An abstention lists its nearest passages, unfolded. */
export function renderSources(citations, abstained, citedIds = []) {
  const valid = citations.filter((c) => c && typeof c.id === "string");
  if (!valid.length) return null;
  const cited = abstained ? [] : valid.filter((c) => citedIds.includes(c.id));
  const others = abstained || !cited.length ? valid : valid.filter((c) => !citedIds.includes(c.id));
  const section = h("section", { class: "sources" }, label("h3", abstained ? "nearest" : "sources", "sources-title"));
  if (!cited.length) {
    section.append(h("ol", { class: "source-list" }, ...others.map((c) => sourceItem(c, false))));
    return section;
  }
  section.append(h("ol", { class: "source-list", dataset: { testid: "cited-sources" } }, ...cited.map((c) => sourceItem(c, true))));
  if (others.length) {
    const summary = h("summary", { class: "related-summary", text: t("relatedPassages", others.length), dataset: { n: others.length } });
    section.append(
      h(
        "details",
        { class: "related", dataset: { testid: "related" } },
        summary,
        h("ol", { class: "source-list" }, ...others.map((c) => sourceItem(c, false))),
      ),
    );
  }
  return section;
}

/** "「quote」（A/78/6 (Sect. 4)，表 4.24）" / "“quote” (A/78/6 (Sect. 4), table 4.24)": ready to paste into a draft. */
export function quoteWithCitation(quote, cite) {
  const where = citeText(cite);
  return ui.lang === "en" ? `\u201c${quote}\u201d (${where})` : `「${quote}」（${where}）`;
}
