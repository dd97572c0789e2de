/* UI strings in both languages, the current language, and applying it to the page. */

export const I18N = {
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
    resolved: "理解为：",
    retry: "重试",
    retryAria: "重新发送这个问题",
    copyCite: "复制引文",
    copyQuote: "复制引语",
    copiedCite: "已复制引文",
    copiedQuote: "已复制引语",
    officialDoc: "正式文件",
    englishNote: "英文提问时，回答以英文说明出处，所引证据为本文件中文版原文。",
    more: "更多结果",
    resultsOf: (n, total) => `${total} 条结果，显示 ${n} 条`,
    tableFallback: "此表未能按行列对齐，按原文显示。",
    unit: "单位",
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
    resolved: "Understood as: ",
    retry: "Retry",
    retryAria: "Send this question again",
    copyCite: "Copy citation",
    copyQuote: "Copy quote",
    copiedCite: "Citation copied",
    copiedQuote: "Quote copied",
    officialDoc: "Official document",
    englishNote:
      "English questions get an English frame around quoted evidence: the quotes are the Chinese original of this document.",
    more: "More results",
    resultsOf: (n, total) => `${n} of ${total} results`,
    tableFallback: "This table could not be aligned into rows and columns; shown as printed.",
    unit: "Unit",
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

export const ui = { lang: initialLang() };

export function t(key, ...args) {
  const table = I18N[ui.lang] || I18N.zh;
  const value = key in table ? table[key] : I18N.zh[key];
  return typeof value === "function" ? value(...args) : value;
}

export function kindLabel(kind) {
  const kinds = t("kinds");
  return (kinds && kinds[kind]) || String(kind || "");
}

export function applyLang() {
  const root = document.documentElement;
  root.lang = ui.lang === "zh" ? "zh-Hans" : "en";
  document.title = t("docTitle");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
  }
  for (const node of document.querySelectorAll("[data-i18n-aria]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAria));
  }
  for (const node of document.querySelectorAll("[data-kind]")) node.textContent = kindLabel(node.dataset.kind);
  const toggle = document.getElementById("lang-toggle");
  toggle.textContent = t("switchLang");
  toggle.setAttribute("aria-label", t("switchLangAria"));
  toggle.setAttribute("lang", ui.lang === "zh" ? "en" : "zh-Hans");
}

export function toggleLang() {
  ui.lang = ui.lang === "zh" ? "en" : "zh";
  try {
    window.localStorage.setItem("citeqa.lang", ui.lang);
  } catch (_) {
    /* ignore */
  }
  applyLang();
}
