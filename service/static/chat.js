/* The chat pane: a question, how it was understood, its answer with markers and sources, feedback, follow-ups in
 * one conversation. The conversation survives a reload of the tab (sessionStorage). */

import { api } from "./api.js";
import { markedIds, renderAnswerText, renderSources } from "./citations.js";
import { $, copyText, h, label, toast } from "./dom.js";
import { feedbackControls } from "./feedback.js";
import { applyLang, onLangChange, t } from "./i18n.js";

const chat = { conversationId: null, pending: false, emptyIntro: null, turns: [] };
const CJK_RE = /[\u3400-\u9fff]/;
// What a reload keeps: this tab's conversation, bounded (the oldest turns go first).
const SESSION_KEY = "citeqa.chat";
const KEPT_TURNS = 30;

const chatLog = () => $("chat-log");

function appendMessage(node) {
  const intro = $("chat-empty");
  if (intro) {
    chat.emptyIntro = intro;
    intro.remove();
  }
  chatLog().append(node);
  return node;
}

/** Bring the start of a new exchange into view: the question and the answer's first line, not the end of the
 * sources. On a wide screen the log scrolls; on a narrow one the page is the only scroller, so it scrolls. */
function showStart(node) {
  const log = chatLog();
  const logBox = log.getBoundingClientRect();
  const nodeBox = node.getBoundingClientRect();
  log.scrollTop += nodeBox.top - logBox.top - 8;
  const top = node.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.6) window.scrollBy({ top: top - 12 });
}

/** The time an answer took, as a person reads it: "<1 ms" for a cached answer, "35 ms", "1.2 s". */
export function formatTook(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1) return t("tookInstant");
  if (ms < 1000) return t("tookMs", Math.round(ms));
  return t("seconds", (ms / 1000).toFixed(1));
}

function asksText(asks) {
  const names = t("asks");
  return `${t("asksLabel")}${(names && names[asks]) || asks}`;
}

function chip(text, cls, dataset) {
  return h("li", { class: cls ? `chip ${cls}` : "chip", text, dataset });
}

function strings(list) {
  return Array.isArray(list) ? list.filter((x) => typeof x === "string" && x.trim()) : [];
}

/** How the question was read, on every turn: the question as understood, what it asks and its scope, what the
 * answer was checked against, and for an abstention why. */
function renderUnderstood(resp, question) {
  const u = resp.understood && typeof resp.understood === "object" ? resp.understood : {};
  const asked =
    (typeof resp.resolved_question === "string" && resp.resolved_question.trim()) ||
    (typeof u.question === "string" && u.question.trim()) ||
    question;
  const block = h(
    "div",
    { class: "understood", dataset: { testid: "understood" } },
    h("p", { class: "resolved", dataset: { testid: "resolved" } }, label("span", "resolved", "resolved-label"), h("span", { class: "resolved-text", text: asked })),
  );
  const chips = h("ul", { class: "chips", attrs: { "aria-label": t("scopeAria") }, dataset: { testid: "scope", i18nAria: "scopeAria" } });
  if (typeof u.asks === "string" && u.asks.trim()) chips.append(chip(asksText(u.asks), "chip-asks", { asks: u.asks }));
  for (const s of strings(u.scope)) chips.append(chip(s, "chip-scope"));
  if (typeof u.unit === "string" && u.unit.trim()) {
    chips.append(h("li", { class: "chip chip-unit" }, label("span", "unitLabel"), u.unit));
  }
  if (chips.children.length) block.append(chips);
  const matched = strings(resp.matched);
  if (matched.length) {
    block.append(
      h(
        "div",
        { class: "matched", dataset: { testid: "matched" } },
        label("span", "matchedLabel", "matched-label"),
        h("ul", { class: "chips" }, ...matched.map((m) => chip(m, "chip-matched"))),
      ),
    );
  }
  if (resp.abstained === true && typeof resp.abstain_reason === "string" && resp.abstain_reason.trim()) {
    block.append(
      h("p", { class: "abstain-reason", dataset: { testid: "abstain-reason" } }, label("span", "abstainReasonLabel", "abstain-reason-label"), resp.abstain_reason),
    );
  }
  return block;
}

/** A link that asks this question when opened: the question as understood, so a follow-up stands on its own. */
export function questionLink(question) {
  const url = new URL(document.baseURI);
  url.search = new URLSearchParams({ q: question }).toString();
  url.hash = "";
  return url.href;
}

function actions(turn) {
  const resp = turn.resp;
  const linkQuestion = (typeof resp.resolved_question === "string" && resp.resolved_question.trim()) || turn.question;
  const copy = h("button", {
    class: "btn btn-quiet btn-small copy-link",
    attrs: { type: "button", "aria-label": t("copyLinkAria") },
    dataset: { testid: "copy-link", i18nAria: "copyLinkAria" },
  });
  copy.append(label("span", "copyLink"));
  copy.addEventListener("click", async () => {
    const ok = await copyText(questionLink(linkQuestion), copy);
    toast(ok ? t("copiedLink") : t("copyFailed"));
  });
  const feedback = feedbackControls(resp.answer_id, turn.feedback, (verdict) => {
    turn.feedback = verdict;
    save();
  });
  return h("div", { class: "answer-actions" }, feedback, copy);
}

function renderAnswer(turn) {
  const { resp, question } = turn;
  const citations = Array.isArray(resp.citations) ? resp.citations : [];
  const byId = new Map();
  for (const c of citations) if (c && typeof c.id === "string" && !byId.has(c.id)) byId.set(c.id, c);
  const abstained = resp.abstained === true;
  const msg = h("article", {
    class: abstained ? "msg msg-assistant msg-abstained" : "msg msg-assistant",
    dataset: { abstained: String(abstained), testid: "answer", answerId: typeof resp.answer_id === "string" ? resp.answer_id : null },
  });
  const took = typeof resp.took_ms === "number" ? resp.took_ms : null;
  msg.append(
    h("div", { class: "msg-meta" }, label("span", "answer", "msg-role"), h("span", { class: "msg-time", text: formatTook(took), dataset: { ms: took } })),
    renderUnderstood(resp, question),
  );
  const text = typeof resp.answer === "string" && resp.answer.trim() ? resp.answer : t("abstained");
  // An abstention says so once: the service's own sentence, marked as such.
  const answer = renderAnswerText(text, byId, abstained ? "answer-text abstain-badge" : "answer-text");
  if (abstained) {
    answer.dataset.testid = "abstained";
    answer.prepend(h("span", { attrs: { "aria-hidden": "true" }, text: "∅ " }));
  }
  msg.append(answer);
  if (!abstained && !CJK_RE.test(question)) msg.append(label("p", "englishNote", "en-note"));
  const sources = renderSources(citations, abstained, markedIds(resp.answer, byId));
  if (sources) msg.append(sources);
  msg.append(actions(turn));
  appendMessage(msg);
  return msg;
}

function renderQuestion(question) {
  return appendMessage(
    h(
      "article",
      { class: "msg msg-user", dataset: { testid: "question" } },
      h("div", { class: "msg-meta" }, label("span", "question", "msg-role")),
      h("p", { class: "question-text", text: question }),
    ),
  );
}

function renderChatError(err, question, asked) {
  const status = err && err.status ? ` (${err.status})` : "";
  const retry = h("button", {
    class: "btn btn-quiet btn-small chat-retry",
    attrs: { type: "button", "aria-label": t("retryAria") },
    dataset: { testid: "chat-retry" },
  });
  retry.append(label("span", "retry"));
  const node = appendMessage(
    h(
      "div",
      { class: "msg msg-error", attrs: { role: "alert" }, dataset: { testid: "chat-error" } },
      h("strong", null, label("span", "error"), status, t("colon")),
      h("span", { class: "error-detail", text: (err && err.message) || String(err) }),
      " ",
      retry,
    ),
  );
  retry.addEventListener("click", () => {
    node.remove();
    asked.remove();
    ask(question);
  });
  return node;
}

function setPending(pending) {
  chat.pending = pending;
  $("chat-send").disabled = pending;
  chatLog().setAttribute("aria-busy", String(pending));
}

function save() {
  // The tab keeps in memory what a reload would keep, so a long conversation does not grow without bound.
  if (chat.turns.length > KEPT_TURNS) chat.turns.splice(0, chat.turns.length - KEPT_TURNS);
  let turns = chat.turns.slice();
  while (true) {
    try {
      window.sessionStorage.setItem(SESSION_KEY, JSON.stringify({ conversationId: chat.conversationId, turns }));
      return;
    } catch (_) {
      // Over the storage quota (or storage is off): keep fewer turns, down to none.
      if (!turns.length) return;
      turns = turns.slice(Math.ceil(turns.length / 2));
    }
  }
}

/** Show the conversation this tab had before a reload; true when there was one. */
export function restore() {
  let saved = null;
  try {
    saved = JSON.parse(window.sessionStorage.getItem(SESSION_KEY) || "null");
  } catch (_) {
    saved = null;
  }
  if (!saved || !Array.isArray(saved.turns) || !saved.turns.length) return false;
  chat.conversationId = typeof saved.conversationId === "string" ? saved.conversationId : null;
  let last = null;
  for (const turn of saved.turns) {
    if (!turn || typeof turn.question !== "string" || !turn.resp || typeof turn.resp !== "object") continue;
    const kept = { question: turn.question, resp: turn.resp, feedback: turn.feedback === "up" || turn.feedback === "down" ? turn.feedback : null };
    chat.turns.push(kept);
    last = renderQuestion(kept.question);
    renderAnswer(kept);
  }
  if (last) showStart(last);
  return Boolean(last);
}

export async function ask(rawQuestion) {
  const question = String(rawQuestion || "").trim();
  if (!question || chat.pending) return;
  const asked = renderQuestion(question);
  showStart(asked);
  const input = $("chat-input");
  setPending(true);
  const thinking = appendMessage(
    h("div", { class: "msg msg-pending", dataset: { testid: "pending" } }, h("span", { class: "spinner", attrs: { "aria-hidden": "true" } }), label("span", "thinking")),
  );
  try {
    const resp = await api("ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, top_k: 5, conversation_id: chat.conversationId }),
    });
    if (typeof resp.conversation_id === "string" && resp.conversation_id) chat.conversationId = resp.conversation_id;
    thinking.remove();
    // The typed text goes only once it has been answered: a failed request keeps it for another try.
    if (input.value.trim() === question) input.value = "";
    const turn = { question, resp, feedback: null };
    chat.turns.push(turn);
    save();
    renderAnswer(turn);
    showStart(asked);
  } catch (err) {
    thinking.remove();
    if (!input.value.trim()) input.value = question;
    showStart(renderChatError(err, question, asked));
  } finally {
    setPending(false);
    if (!$("passage-panel").contains(document.activeElement)) input.focus({ preventScroll: true });
  }
}

export function newConversation() {
  chat.conversationId = null;
  chat.turns = [];
  try {
    window.sessionStorage.removeItem(SESSION_KEY);
  } catch (_) {
    /* storage may be disabled */
  }
  const log = chatLog();
  log.replaceChildren();
  if (chat.emptyIntro) log.append(chat.emptyIntro);
  applyLang(); // the introduction was out of the page while the language may have changed
  $("chat-input").focus();
}

// Labels made from data follow a language switch.
onLangChange(() => {
  for (const node of document.querySelectorAll(".msg-time[data-ms]")) node.textContent = formatTook(Number(node.dataset.ms));
  for (const node of document.querySelectorAll(".chip-asks[data-asks]")) node.textContent = asksText(node.dataset.asks);
  for (const node of document.querySelectorAll("summary.related-summary[data-n]")) {
    node.textContent = t("relatedPassages", Number(node.dataset.n));
  }
});
