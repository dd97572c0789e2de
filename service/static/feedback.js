/* 👍/👎 under every answer, with an optional comment and "the right passage is …": POST /feedback. */

import { api } from "./api.js";
import { h, label } from "./dom.js";
import { t } from "./i18n.js";

let formCount = 0;
const SVG = "http://www.w3.org/2000/svg";
// A thumb, drawn here: an emoji would need an emoji font, which many office machines lack.
const THUMB = "M2 9h3v10H2zM7 19h9.2a2 2 0 0 0 2-1.6l1.3-6.4A2 2 0 0 0 17.5 8.5H13l.8-3.9A1.6 1.6 0 0 0 11 3.3L7 9z";

function thumb(down) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 22 22");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", down ? "thumb thumb-down" : "thumb");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", THUMB);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.6");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}

function thanks() {
  const node = label("p", "feedbackThanks", "feedback-done");
  node.setAttribute("tabindex", "-1"); // takes the focus from the form it replaces
  return node;
}

/** The feedback controls for the answer `answerId`; `given` is a verdict already sent (from an earlier visit), and
 * `recorded(verdict)` is called once the service has stored one. Null when the answer has no id. */
export function feedbackControls(answerId, given, recorded) {
  if (typeof answerId !== "string" || !answerId) return null;
  const wrap = h("div", { class: "feedback", dataset: { testid: "feedback" } });
  if (given) {
    wrap.append(thanks());
    return wrap;
  }
  const n = ++formCount;
  const vote = (verdict, key) => {
    const button = h("button", {
      class: "btn btn-quiet btn-small vote",
      attrs: { type: "button", "aria-pressed": "false", "aria-controls": `feedback-form-${n}` },
      dataset: { verdict, testid: `vote-${verdict}` },
    });
    button.append(thumb(verdict === "down"), label("span", key));
    return button;
  };
  const up = vote("up", "helpful");
  const down = vote("down", "notHelpful");
  const title = h("p", { class: "feedback-title" });
  const comment = h("textarea", {
    class: "feedback-comment",
    attrs: { id: `feedback-comment-${n}`, rows: "2", maxlength: "1000" },
    dataset: { testid: "feedback-comment" },
  });
  const passage = h("input", {
    class: "feedback-passage",
    attrs: { id: `feedback-passage-${n}`, type: "text", maxlength: "64", spellcheck: "false", autocomplete: "off" },
    dataset: { testid: "feedback-passage", i18nPlaceholder: "feedbackPassagePlaceholder" },
  });
  passage.setAttribute("placeholder", t("feedbackPassagePlaceholder"));
  const status = h("p", { class: "feedback-status", attrs: { role: "status", "aria-live": "polite" } });
  const send = h("button", { class: "btn btn-primary btn-small", attrs: { type: "submit" }, dataset: { testid: "feedback-send" } });
  send.append(label("span", "feedbackSend"));
  const cancel = h("button", { class: "btn btn-quiet btn-small", attrs: { type: "button" } });
  cancel.append(label("span", "feedbackCancel"));
  const form = h(
    "form",
    { class: "feedback-form", attrs: { id: `feedback-form-${n}`, hidden: "" }, dataset: { testid: "feedback-form" } },
    title,
    h("label", { class: "feedback-label", attrs: { for: comment.id } }, label("span", "feedbackComment")),
    comment,
    h("label", { class: "feedback-label", attrs: { for: passage.id } }, label("span", "feedbackPassage")),
    passage,
    h("div", { class: "feedback-buttons" }, send, cancel),
    status,
  );
  let verdict = null;
  const choose = (v) => {
    verdict = v;
    up.setAttribute("aria-pressed", String(v === "up"));
    down.setAttribute("aria-pressed", String(v === "down"));
    const key = v === "up" ? "feedbackUpTitle" : "feedbackDownTitle";
    title.dataset.i18n = key;
    title.textContent = t(key);
    form.hidden = false;
    status.textContent = "";
    comment.focus();
  };
  up.addEventListener("click", () => choose("up"));
  down.addEventListener("click", () => choose("down"));
  cancel.addEventListener("click", () => {
    verdict = null;
    form.hidden = true;
    up.setAttribute("aria-pressed", "false");
    down.setAttribute("aria-pressed", "false");
    (up.isConnected ? up : document.getElementById("chat-input")).focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!verdict || send.disabled) return;
    send.disabled = true;
    status.classList.remove("status-error");
    status.setAttribute("role", "status");
    status.textContent = t("feedbackSending");
    try {
      await api("feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          answer_id: answerId,
          verdict,
          comment: comment.value.trim() || null,
          passage: passage.value.trim() || null,
        }),
      });
      const done = thanks();
      wrap.replaceChildren(done);
      done.focus({ preventScroll: true });
      recorded(verdict);
    } catch (err) {
      status.classList.add("status-error");
      status.setAttribute("role", "alert");
      status.textContent = `${t("error")}${err.status ? ` (${err.status})` : ""}${t("colon")}${err.message}`;
      send.disabled = false;
    }
  });
  wrap.append(h("div", { class: "votes" }, up, down), form);
  return wrap;
}
