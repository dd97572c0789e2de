/* The chat pane: a question, its answer with markers and sources, follow-ups in one conversation. */

import { api } from "./api.js";
import { renderAnswerText, renderSources } from "./citations.js";
import { $, h, label } from "./dom.js";
import { t } from "./i18n.js";

const chat = { conversationId: null, pending: false, emptyIntro: null };
const CJK_RE = /[\u3400-\u9fff]/;

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
 * sources (the log scrolls; on a narrow screen the whole page does, so the page is scrolled too). */
function showStart(node) {
  const log = chatLog();
  const logBox = log.getBoundingClientRect();
  const nodeBox = node.getBoundingClientRect();
  log.scrollTop += nodeBox.top - logBox.top - 8;
  const top = node.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.6) window.scrollBy({ top: top - 12 });
}

function formatSeconds(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "";
  return t("seconds", (ms / 1000).toFixed(ms < 10000 ? 2 : 1));
}

function renderAnswer(resp, question) {
  const citations = Array.isArray(resp.citations) ? resp.citations : [];
  const byId = new Map();
  for (const c of citations) if (c && typeof c.id === "string" && !byId.has(c.id)) byId.set(c.id, c);
  const abstained = resp.abstained === true;
  const msg = h("article", {
    class: abstained ? "msg msg-assistant msg-abstained" : "msg msg-assistant",
    dataset: { abstained: String(abstained), testid: "answer" },
  });
  msg.append(
    h("div", { class: "msg-meta" }, label("span", "answer", "msg-role"), h("span", { class: "msg-time", text: formatSeconds(resp.took_ms) })),
  );
  if (typeof resp.resolved_question === "string" && resp.resolved_question.trim()) {
    msg.append(
      h("p", { class: "resolved", dataset: { testid: "resolved" } }, label("span", "resolved", "resolved-label"), h("span", { class: "resolved-text", text: resp.resolved_question })),
    );
  }
  const text = typeof resp.answer === "string" && resp.answer.trim() ? resp.answer : t("abstained");
  // An abstention says so once: the service's own sentence, marked as such.
  const answer = renderAnswerText(text, byId, abstained ? "answer-text abstain-badge" : "answer-text");
  if (abstained) {
    answer.dataset.testid = "abstained";
    answer.prepend(h("span", { attrs: { "aria-hidden": "true" }, text: "∅ " }));
  }
  msg.append(answer);
  if (!abstained && !CJK_RE.test(question)) msg.append(label("p", "englishNote", "en-note"));
  const sources = renderSources(citations, abstained);
  if (sources) msg.append(sources);
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
    renderAnswer(resp, question);
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
  const log = chatLog();
  log.replaceChildren();
  if (chat.emptyIntro) log.append(chat.emptyIntro);
  $("chat-input").focus();
}
