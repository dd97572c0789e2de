/* citeqa web page: search + chat over A/78/6 (Sect. 4).
 *
 * No framework, no build step. Every string that comes from the server is put
 * into the page with textContent / createTextNode — never innerHTML.
 */
(() => {
  "use strict";

  // ---------------------------------------------------------------- i18n --

  const I18N = {
    zh: {
      docTitle: "裁军 · 文件问答 — A/78/6 (Sect. 4)",
      title: "第 4 款 · 裁军 — 文件问答",
      subtitle: "2024 年拟议方案预算 · 每个回答均注明所依据的段落",
      skipToChat: "跳到提问框",
      switchLang: "English",
      switchLangAria: "Switch to English",
      searchHeading: "检索文件",
      searchLabel: "检索文件",
      searchPlaceholder: "关键词，如：小武器",
      searchHint: "按 / 键聚焦检索框",
      chatHeading: "提问",
      newConversation: "新对话",
      newConversationAria: "开始新的对话",
      chatLogAria: "对话记录",
      emptyIntro: "就本文件提出问题（中文或英文）。回答中的 [4.86] 等编号可点击，显示原文段落。",
      examplesAria: "示例问题",
      chatLabel: "您的问题",
      chatPlaceholder: "输入问题，按 Enter 发送",
      send: "发送",
      chatHint: "Enter 发送 · Shift+Enter 换行 · Esc 关闭原文",
      passage: "原文段落",
      copyId: "复制编号",
      close: "关闭原文",
      headingPath: "标题路径",
      symbols: "引用的文件",
      related: "上下级段落",
      parent: "上级",
      children: "下级",
      question: "问",
      answer: "答",
      sources: "出处",
      nearest: "最接近的段落",
      abstained: "文件中未找到 / Not in this document",
      abstainedNote: "本文件中没有足以回答此问题的内容。以下是最接近的段落，仅供参考。",
      thinking: "正在查阅文件…",
      searching: "正在检索…",
      results: (n) => `${n} 条结果`,
      noResults: "未找到相关段落",
      error: "出错",
      colon: "：",
      networkError: "无法连接服务",
      openPassage: (id) => `查看原文 ${id}`,
      copied: (id) => `已复制编号 ${id}`,
      copyFailed: "无法复制，请手动选择编号",
      loading: "正在载入原文…",
      passageFallback: "未能载入完整段落，下面显示引文所附文本。",
      documentLabel: "文件",
      score: "相关度",
      seconds: (s) => `${s} 秒`,
      kinds: { paragraph: "段落", item: "分项", table: "表", figure: "图", foreword: "前言", annex: "附件" },
    },
    en: {
      docTitle: "Disarmament · Document Q&A — A/78/6 (Sect. 4)",
      title: "Section 4 · Disarmament — Document Q&A",
      subtitle: "Proposed programme budget for 2024 · every answer cites its paragraph",
      skipToChat: "Skip to the question box",
      switchLang: "中文",
      switchLangAria: "切换到中文",
      searchHeading: "Search the document",
      searchLabel: "Search the document",
      searchPlaceholder: "Search terms, e.g. 小武器",
      searchHint: "Press / to focus search",
      chatHeading: "Ask",
      newConversation: "New conversation",
      newConversationAria: "Start a new conversation",
      chatLogAria: "Conversation",
      emptyIntro:
        "Ask about this document in Chinese or English. Markers such as [4.86] in an answer open the cited paragraph.",
      examplesAria: "Example questions",
      chatLabel: "Your question",
      chatPlaceholder: "Type a question, press Enter to send",
      send: "Send",
      chatHint: "Enter sends · Shift+Enter new line · Esc closes the passage",
      passage: "Passage",
      copyId: "Copy ID",
      close: "Close passage",
      headingPath: "Heading path",
      symbols: "Documents cited",
      related: "Parent and sub-paragraphs",
      parent: "Parent",
      children: "Sub-paragraphs",
      question: "Q",
      answer: "A",
      sources: "Sources",
      nearest: "Nearest passages",
      abstained: "文件中未找到 / Not in this document",
      abstainedNote:
        "The document does not contain enough to answer this. The nearest passages are listed for reference only.",
      thinking: "Reading the document…",
      searching: "Searching…",
      results: (n) => `${n} result${n === 1 ? "" : "s"}`,
      noResults: "No matching passages",
      error: "Error",
      colon: ": ",
      networkError: "Cannot reach the service",
      openPassage: (id) => `Open passage ${id}`,
      copied: (id) => `Copied ${id}`,
      copyFailed: "Could not copy; select the ID by hand",
      loading: "Loading passage…",
      passageFallback: "Could not load the full passage; showing the text attached to the citation.",
      documentLabel: "Document",
      score: "score",
      seconds: (s) => `${s} s`,
      kinds: { paragraph: "Paragraph", item: "Item", table: "Table", figure: "Figure", foreword: "Foreword", annex: "Annex" },
    },
  };

  function initialLang() {
    const fromQuery = new URLSearchParams(window.location.search).get("lang");
    if (fromQuery === "zh" || fromQuery === "en") return fromQuery;
    try {
      const stored = window.localStorage.getItem("citeqa.lang");
      if (stored === "zh" || stored === "en") return stored;
    } catch (_) {
      /* storage may be disabled */
    }
    const nav = (navigator.languages && navigator.languages[0]) || navigator.language || "zh";
    return /^zh/i.test(nav) ? "zh" : "en";
  }

  const state = {
    lang: initialLang(),
    conversationId: null,
    pending: false,
    searchSeq: 0,
    searchTimer: 0,
    panelSeq: 0,
    panelOpener: null,
    currentPassageId: null,
    toastTimer: 0,
    lastSearch: null,
  };

  function t(key, ...args) {
    const table = I18N[state.lang] || I18N.zh;
    const value = key in table ? table[key] : I18N.zh[key];
    return typeof value === "function" ? value(...args) : value;
  }

  function kindLabel(kind) {
    const kinds = t("kinds");
    return (kinds && kinds[kind]) || String(kind || "");
  }

  function applyLang() {
    const root = document.documentElement;
    root.lang = state.lang === "zh" ? "zh-Hans" : "en";
    document.title = t("docTitle");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    for (const node of document.querySelectorAll("[data-i18n-aria]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAria));
    }
    for (const node of document.querySelectorAll("[data-kind]")) node.textContent = kindLabel(node.dataset.kind);
    const toggle = $("lang-toggle");
    toggle.textContent = t("switchLang");
    toggle.setAttribute("aria-label", t("switchLangAria"));
    toggle.setAttribute("lang", state.lang === "zh" ? "en" : "zh-Hans");
  }

  // ---------------------------------------------------------------- DOM --

  function $(id) {
    return document.getElementById(id);
  }

  /** Build an element. `props`: class, text, attrs {}, dataset {}, on {}; children: nodes or strings. */
  function h(tag, props, ...children) {
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
  function label(tag, key, cls) {
    return h(tag, { class: cls, text: t(key), dataset: { i18n: key } });
  }

  /** A small badge naming the passage kind; none when it would only repeat the id (前言, 附件一). */
  function kindBadge(kind, id) {
    const text = kindLabel(kind);
    if (!text || (typeof id === "string" && id.startsWith(text))) return null;
    return h("span", { class: "kind-badge kind-small", text, dataset: { kind } });
  }

  function headingPath(heading) {
    return Array.isArray(heading) ? heading.filter((x) => typeof x === "string" && x.trim()).join(" › ") : "";
  }

  function safeUrl(url) {
    if (typeof url !== "string") return null;
    try {
      const parsed = new URL(url, document.baseURI);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  /**
   * Append `text` to `parent`, wrapping [start, end) ranges in `wrap(tag)` elements.
   * Ranges are clipped, sorted and merged; invalid ones are ignored.
   */
  function appendMarked(parent, text, ranges, makeWrapper) {
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

  function normaliseRanges(ranges, length) {
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

  // ---------------------------------------------------------------- API --

  class ApiError extends Error {
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

  async function api(path, options = {}, retried = false) {
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

  // ------------------------------------------------------------ citations --

  /** Citation data attached to the element that opens it. */
  const citationOf = new WeakMap();

  // A marker is "[...]" holding one or more passage ids, e.g. [4.86], [4.88(b)㈠; 表4.24].
  const MARKER_RE = /\[([^[\]\n]{1,120})\]/g;
  const ID_LIKE_RE = /^(?:\d+\.\d+\S*|表\s?\S+|图\s?\S+|前言|附件\S*)$/;
  const ID_SEP_RE = /\s*[,，;；、]\s*/;

  function citationButton(id, cite, cls) {
    const button = h("button", {
      class: cls ? `citation ${cls}` : "citation",
      text: id,
      attrs: { type: "button", "aria-label": t("openPassage", id), title: t("openPassage", id) },
      dataset: { id, testid: "citation" },
    });
    if (cite) citationOf.set(button, cite);
    return button;
  }

  /** Render the answer text, turning citation markers into buttons. */
  function renderAnswerText(answer, byId) {
    const p = h("p", { class: "answer-text" });
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

  function renderSources(citations, abstained) {
    const list = h("ol", { class: "source-list" });
    for (const cite of citations) {
      if (!cite || typeof cite.id !== "string") continue;
      const heading = headingPath(cite.heading);
      const item = h(
        "li",
        { class: "source" },
        h(
          "div",
          { class: "source-top" },
          citationButton(cite.id, cite, "source-id"),
          kindBadge(cite.kind, cite.id),
          heading && heading !== cite.id ? h("span", { class: "source-heading", text: heading }) : null,
        ),
      );
      const quote = typeof cite.quote === "string" && cite.quote.trim() ? cite.quote : cite.text;
      if (typeof quote === "string" && quote) item.append(h("blockquote", { class: "source-quote", text: quote }));
      list.append(item);
    }
    if (!list.children.length) return null;
    return h("section", { class: "sources" }, label("h3", abstained ? "nearest" : "sources", "sources-title"), list);
  }

  // ----------------------------------------------------------------- chat --

  const chatLog = () => $("chat-log");
  let emptyIntro = null;

  function appendMessage(node) {
    const log = chatLog();
    const intro = $("chat-empty");
    if (intro) {
      emptyIntro = intro;
      intro.remove();
    }
    log.append(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function formatSeconds(ms) {
    if (typeof ms !== "number" || !Number.isFinite(ms)) return "";
    return t("seconds", (ms / 1000).toFixed(ms < 10000 ? 2 : 1));
  }

  function renderAnswer(resp) {
    const citations = Array.isArray(resp.citations) ? resp.citations : [];
    const byId = new Map();
    for (const c of citations) if (c && typeof c.id === "string" && !byId.has(c.id)) byId.set(c.id, c);
    const abstained = resp.abstained === true;
    const msg = h("article", {
      class: abstained ? "msg msg-assistant msg-abstained" : "msg msg-assistant",
      dataset: { abstained: String(abstained), testid: "answer" },
    });
    msg.append(
      h(
        "div",
        { class: "msg-meta" },
        label("span", "answer", "msg-role"),
        h("span", { class: "msg-time", text: formatSeconds(resp.took_ms) }),
      ),
    );
    if (abstained) {
      msg.append(
        h(
          "p",
          { class: "abstain-badge", dataset: { testid: "abstained" } },
          h("span", { attrs: { "aria-hidden": "true" }, text: "∅ " }),
          label("span", "abstained"),
        ),
      );
    }
    if (typeof resp.answer === "string" && resp.answer.trim()) msg.append(renderAnswerText(resp.answer, byId));
    if (abstained) msg.append(label("p", "abstainedNote", "abstain-note"));
    const sources = renderSources(citations, abstained);
    if (sources) msg.append(sources);
    appendMessage(msg);
    msg.scrollIntoView({ block: "nearest" });
  }

  function renderQuestion(question) {
    appendMessage(
      h(
        "article",
        { class: "msg msg-user", dataset: { testid: "question" } },
        h("div", { class: "msg-meta" }, label("span", "question", "msg-role")),
        h("p", { class: "question-text", text: question }),
      ),
    );
  }

  function renderChatError(err) {
    const status = err && err.status ? ` (${err.status})` : "";
    appendMessage(
      h(
        "div",
        { class: "msg msg-error", attrs: { role: "alert" }, dataset: { testid: "chat-error" } },
        h("strong", null, label("span", "error"), status, t("colon")),
        h("span", { class: "error-detail", text: (err && err.message) || String(err) }),
      ),
    );
  }

  function setPending(pending) {
    state.pending = pending;
    $("chat-send").disabled = pending;
    chatLog().setAttribute("aria-busy", String(pending));
  }

  async function ask(rawQuestion) {
    const question = String(rawQuestion || "").trim();
    if (!question || state.pending) return;
    renderQuestion(question);
    const input = $("chat-input");
    input.value = "";
    setPending(true);
    const thinking = appendMessage(
      h("div", { class: "msg msg-pending", dataset: { testid: "pending" } }, h("span", { class: "spinner", attrs: { "aria-hidden": "true" } }), label("span", "thinking")),
    );
    try {
      const resp = await api("ask", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question, top_k: 5, conversation_id: state.conversationId }),
      });
      if (typeof resp.conversation_id === "string" && resp.conversation_id) state.conversationId = resp.conversation_id;
      thinking.remove();
      renderAnswer(resp);
    } catch (err) {
      thinking.remove();
      renderChatError(err);
    } finally {
      setPending(false);
      if (!$("passage-panel").contains(document.activeElement)) input.focus({ preventScroll: true });
    }
  }

  function newConversation() {
    state.conversationId = null;
    const log = chatLog();
    log.replaceChildren();
    if (emptyIntro) log.append(emptyIntro);
    $("chat-input").focus();
  }

  // --------------------------------------------------------------- search --

  const SNIPPET_LEN = 180;

  /** A window of `text` around its first highlight, with highlights shifted to match. */
  function snippet(text, highlights) {
    const ranges = normaliseRanges(highlights, text.length);
    if (text.length <= SNIPPET_LEN) return { text, ranges, head: false, tail: false };
    const first = ranges.length ? ranges[0][0] : 0;
    let start = Math.max(0, first - 40);
    const end = Math.min(text.length, start + SNIPPET_LEN);
    start = Math.max(0, Math.min(start, end - SNIPPET_LEN));
    const shifted = ranges
      .map(([s, e]) => [Math.max(s, start) - start, Math.min(e, end) - start])
      .filter(([s, e]) => e > s);
    return { text: text.slice(start, end), ranges: shifted, head: start > 0, tail: end < text.length };
  }

  function renderResults(resp, query) {
    const list = $("search-results");
    list.replaceChildren();
    const results = Array.isArray(resp.results) ? resp.results : [];
    results.forEach((cite, index) => {
      if (!cite || typeof cite.id !== "string") return;
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
      const text = typeof cite.text === "string" ? cite.text : "";
      const snip = snippet(text, cite.highlights);
      const body = h("p", { class: "result-text" });
      if (snip.head) body.append("…");
      appendMarked(body, snip.text, snip.ranges, () => document.createElement("mark"));
      if (snip.tail) body.append("…");
      const score = typeof cite.score === "number" && Number.isFinite(cite.score) ? cite.score : null;
      const item = h(
        "li",
        { class: "result", dataset: { id: cite.id, rank: index + 1, score: score == null ? "" : score, testid: "search-result" } },
        h(
          "div",
          { class: "result-top" },
          h("span", { class: "result-rank", text: `${index + 1}.`, attrs: { "aria-hidden": "true" } }),
          open,
          score == null ? null : h("span", { class: "result-score", text: `${t("score")} ${score.toFixed(2)}` }),
        ),
        heading ? h("p", { class: "result-heading", text: heading }) : null,
        body,
      );
      list.append(item);
    });
    const took = typeof resp.took_ms === "number" ? ` · ${Math.round(resp.took_ms)} ms` : "";
    setSearchStatus(list.children.length ? `${t("results", list.children.length)}${took}` : t("noResults"));
    list.dataset.query = query;
    state.lastSearch = { resp, query };
  }

  function setSearchStatus(text, isError) {
    const status = $("search-status");
    status.textContent = text;
    status.classList.toggle("status-error", Boolean(isError));
  }

  async function runSearch(rawQuery) {
    window.clearTimeout(state.searchTimer);
    const query = String(rawQuery || "").trim();
    const seq = ++state.searchSeq;
    const list = $("search-results");
    if (!query) {
      state.lastSearch = null;
      delete list.dataset.query;
      list.replaceChildren();
      setSearchStatus("");
      list.setAttribute("aria-busy", "false");
      return;
    }
    setSearchStatus(t("searching"));
    list.setAttribute("aria-busy", "true");
    try {
      const resp = await api(`search?q=${encodeURIComponent(query)}&top_k=10`);
      if (seq !== state.searchSeq) return;
      renderResults(resp, query);
    } catch (err) {
      if (seq !== state.searchSeq) return;
      list.replaceChildren();
      delete list.dataset.query;
      state.lastSearch = null;
      setSearchStatus(`${t("error")}${err.status ? ` (${err.status})` : ""}${t("colon")}${err.message}`, true);
    } finally {
      if (seq === state.searchSeq) list.setAttribute("aria-busy", "false");
    }
  }

  // -------------------------------------------------------------- passage --

  function panelOpen() {
    return !$("passage-panel").hidden;
  }

  function closePanel() {
    if (!panelOpen()) return;
    state.panelSeq++;
    $("passage-panel").hidden = true;
    document.body.classList.remove("panel-open");
    state.currentPassageId = null;
    const opener = state.panelOpener;
    state.panelOpener = null;
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
      const local = hl
        .map(([s, e]) => [Math.max(s, from) - from, Math.min(e, to) - from])
        .filter(([s, e]) => e > s);
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
    if (isError) status.setAttribute("role", "alert");
    else status.setAttribute("role", "status");
  }

  function renderPassage(passage, cite) {
    const id = typeof passage.id === "string" ? passage.id : cite ? cite.id : "";
    state.currentPassageId = id;
    $("passage-id").textContent = id;
    const kind = $("passage-kind");
    kind.textContent = kindLabel(passage.kind);
    kind.dataset.kind = passage.kind || "";
    kind.hidden = !passage.kind || id.startsWith(kindLabel(passage.kind));
    const heading = headingPath(passage.heading);
    $("passage-heading").textContent = heading;
    $("passage-heading").hidden = !heading;

    const text = typeof passage.text === "string" ? passage.text : "";
    const sameText = cite && cite.text === text;
    const quoteRange = cite ? findQuote(text, cite.quote) : null;
    const highlights = sameText ? cite.highlights : [];
    const mark = renderPassageText($("passage-text"), text, quoteRange, highlights);

    // Symbols cited by the passage, linked when the document gives a link.
    const symbols = Array.isArray(passage.symbols) ? passage.symbols : [];
    const symbolList = $("passage-symbols");
    symbolList.replaceChildren();
    for (const sym of symbols) {
      if (!sym || typeof sym.symbol !== "string") continue;
      const href = safeUrl(sym.url);
      symbolList.append(
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
    $("passage-symbols-wrap").hidden = !symbolList.children.length;

    // Parent and children: navigate the document's structure.
    const family = $("passage-family");
    family.replaceChildren();
    const familyLink = (fid) => {
      const b = h("button", { class: "family-link", text: fid, attrs: { type: "button", "aria-label": t("openPassage", fid) }, dataset: { id: fid } });
      return b;
    };
    if (typeof passage.parent === "string" && passage.parent) {
      family.append(h("li", null, label("span", "parent", "family-label"), " ", familyLink(passage.parent)));
    }
    const children = Array.isArray(passage.children) ? passage.children.filter((c) => typeof c === "string") : [];
    if (children.length) {
      const li = h("li", null, label("span", "children", "family-label"), " ");
      children.forEach((c, i) => {
        if (i > 0) li.append(" ");
        li.append(familyLink(c));
      });
      family.append(li);
    }
    $("passage-family-wrap").hidden = !family.children.length;

    const doc = typeof passage.doc === "string" && passage.doc ? passage.doc : cite && cite.doc;
    const docLine = $("passage-doc");
    docLine.replaceChildren();
    if (doc) docLine.append(label("span", "documentLabel"), t("colon"), h("span", { text: doc }));
    docLine.hidden = !doc;
    return mark;
  }

  async function openPassage(id, cite, opener) {
    if (typeof id !== "string" || !id) return;
    const seq = ++state.panelSeq;
    const panel = $("passage-panel");
    if (!panelOpen()) state.panelOpener = opener || document.activeElement;
    panel.hidden = false;
    document.body.classList.add("panel-open");
    panel.dataset.id = id;
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
      if (seq !== state.panelSeq) return;
      const mark = renderPassage(passage, cite);
      setPassageStatus("");
      if (mark) mark.scrollIntoView({ block: "center" });
      else $("passage-text").scrollTop = 0;
    } catch (err) {
      if (seq !== state.panelSeq) return;
      if (cite && typeof cite.text === "string") setPassageStatus(`${t("passageFallback")} (${err.message})`, false);
      else setPassageStatus(`${t("error")}${err.status ? ` (${err.status})` : ""}${t("colon")}${err.message}`, true);
    } finally {
      if (seq === state.panelSeq) panel.setAttribute("aria-busy", "false");
    }
  }

  // ---------------------------------------------------------------- misc --

  function toast(text) {
    const node = $("toast");
    node.textContent = text;
    node.hidden = false;
    window.clearTimeout(state.toastTimer);
    state.toastTimer = window.setTimeout(() => {
      node.hidden = true;
    }, 2200);
  }

  async function copyId() {
    const id = state.currentPassageId;
    if (!id) return;
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(id);
        ok = true;
      }
    } catch (_) {
      ok = false;
    }
    if (!ok) {
      const area = h("textarea", { class: "visually-hidden", attrs: { readonly: "", "aria-hidden": "true" } });
      area.value = id;
      document.body.append(area);
      area.select();
      try {
        ok = document.execCommand("copy");
      } catch (_) {
        ok = false;
      }
      area.remove();
      $("passage-copy").focus();
    }
    toast(ok ? t("copied", id) : t("copyFailed"));
  }

  function isEditable(node) {
    if (!node || !(node instanceof Element)) return false;
    return Boolean(node.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
  }

  // --------------------------------------------------------------- wiring --

  function init() {
    applyLang();

    $("lang-toggle").addEventListener("click", () => {
      state.lang = state.lang === "zh" ? "en" : "zh";
      try {
        window.localStorage.setItem("citeqa.lang", state.lang);
      } catch (_) {
        /* ignore */
      }
      applyLang();
      // Re-render what carries formatted labels (counts, scores).
      if (state.lastSearch) renderResults(state.lastSearch.resp, state.lastSearch.query);
    });

    // Chat.
    const chatInput = $("chat-input");
    $("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      ask(chatInput.value);
    });
    chatInput.addEventListener("keydown", (event) => {
      // Do not send while an IME (pinyin etc.) is composing: that Enter picks a candidate.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        ask(chatInput.value);
      }
    });
    $("chat-new").addEventListener("click", newConversation);
    for (const example of document.querySelectorAll(".example")) {
      example.addEventListener("click", () => ask(example.textContent));
    }

    // Search: live (debounced) and on Enter.
    const searchInput = $("search-input");
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      runSearch(searchInput.value);
    });
    searchInput.addEventListener("input", () => {
      window.clearTimeout(state.searchTimer);
      state.searchTimer = window.setTimeout(() => runSearch(searchInput.value), 250);
    });

    // Anything that opens a passage.
    document.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      const opener = target.closest(".citation, .result-open, .family-link");
      if (opener) {
        event.preventDefault();
        openPassage(opener.dataset.id, citationOf.get(opener), opener);
        return;
      }
      // A click anywhere on a search result (outside its button) opens it too, unless text is being selected.
      const result = target.closest("#search-results .result");
      if (result && !String(window.getSelection() || "")) {
        const button = result.querySelector(".result-open");
        if (button) openPassage(button.dataset.id, citationOf.get(button), button);
      }
    });

    $("passage-close").addEventListener("click", closePanel);
    $("passage-copy").addEventListener("click", copyId);

    // Keyboard: "/" focuses search, Esc closes the passage panel.
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && panelOpen()) {
        event.preventDefault();
        closePanel();
        return;
      }
      if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isEditable(event.target)) {
        event.preventDefault();
        searchInput.focus();
        searchInput.select();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
