/* citeqa web page: search + chat over A/78/6 (Sect. 4). Entry point: wires the page's controls to the modules.
 *
 * ES modules, no framework, no build step. Every string that comes from the server is put into the page with
 * textContent / createTextNode — never innerHTML.
 */

import { ask, newConversation, restore } from "./chat.js";
import { citationOf } from "./citations.js";
import { $ } from "./dom.js";
import { applyLang, toggleLang } from "./i18n.js";
import { closePanel, copyId, hashId, openPassage, panelOpen } from "./passage.js";
import { renderResults, runSearch, searchSoon } from "./search.js";

function isEditable(node) {
  if (!node || !(node instanceof Element)) return false;
  return Boolean(node.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
}

function init() {
  applyLang();

  $("lang-toggle").addEventListener("click", () => {
    toggleLang();
    renderResults(); // counts and scores carry formatted labels
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

  // Search: live (debounced) and on Enter; more results on request.
  const searchInput = $("search-input");
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch(searchInput.value);
  });
  searchInput.addEventListener("input", () => searchSoon(searchInput.value));
  $("search-more").addEventListener("click", () => runSearch(searchInput.value, true));

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
  // The address: a reload keeps this tab's conversation; ?q=… asks that question (once: it leaves the address, so
  // a reload does not ask it again); #4.88(b) opens that passage, also when the hash changes later.
  restore();
  const url = new URL(window.location.href);
  const q = (url.searchParams.get("q") || "").trim();
  if (q) {
    url.searchParams.delete("q");
    window.history.replaceState(window.history.state, "", url.href);
    ask(q);
  }
  const opened = hashId();
  if (opened) openPassage(opened, null, null);
  window.addEventListener("hashchange", () => {
    const id = hashId();
    if (id && (!panelOpen() || id !== $("passage-panel").dataset.id)) openPassage(id, null, null);
    else if (!id && panelOpen()) closePanel();
  });
  document.body.dataset.ready = "true";
}

// Module scripts run after the document is parsed.
init();
