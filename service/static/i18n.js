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
    relatedPassages: (n) => `相关段落（${n}）`,
    citedBadge: "所引",
    citedAria: "回答引用的段落",
    scopeAria: "问题的范围",
    asksLabel: "问：",
    unitLabel: "单位：",
    matchedLabel: "已核对：",
    abstainReasonLabel: "原因：",
    asks: {
      money: "金额", count: "数量", percent: "百分比", date: "日期", place: "地点", person: "人员", body: "机构",
      list: "列表", reason: "原因", purpose: "目的", objective: "目标", definition: "定义", yesno: "是否",
      passage: "段落", where_cited: "出处", text: "内容",
    },
    tookInstant: "<1 毫秒",
    tookMs: (ms) => `${ms} 毫秒`,
    helpful: "有帮助",
    notHelpful: "没有帮助",
    feedbackUpTitle: "有帮助。补充说明（可选）：",
    feedbackDownTitle: "哪里不对？（均为可选）",
    feedbackComment: "意见（如正确的数字或原文词句）",
    feedbackPassage: "正确的段落",
    feedbackPassagePlaceholder: "如 4.88(b) 或 表 4.24",
    feedbackSend: "提交反馈",
    feedbackCancel: "取消",
    feedbackSending: "正在提交…",
    feedbackThanks: "谢谢，反馈已记录。",
    copyLink: "复制链接",
    copyLinkAria: "复制链接：发给同事，打开即提出此问题",
    copiedLink: "已复制链接",
    downloadCsv: "下载 CSV",
    copyQuoteCite: "复制引语及出处",
    copiedQuoteCite: "已复制引语及出处",
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
    relatedPassages: (n) => `Related passages (${n})`,
    citedBadge: "cited",
    citedAria: "cited by the answer",
    scopeAria: "Scope of the question",
    asksLabel: "Asks: ",
    unitLabel: "Unit: ",
    matchedLabel: "Checked against: ",
    abstainReasonLabel: "Why: ",
    asks: {
      money: "amount", count: "count", percent: "percentage", date: "date", place: "place", person: "person",
      body: "body", list: "list", reason: "reason", purpose: "purpose", objective: "objective",
      definition: "definition", yesno: "yes or no", passage: "passage", where_cited: "where cited", text: "text",
    },
    tookInstant: "<1 ms",
    tookMs: (ms) => `${ms} ms`,
    helpful: "Helpful",
    notHelpful: "Not helpful",
    feedbackUpTitle: "Helpful. Anything to add (optional)?",
    feedbackDownTitle: "What was wrong? (all optional)",
    feedbackComment: "Comment (e.g. the right figure or words of the passage)",
    feedbackPassage: "The right passage",
    feedbackPassagePlaceholder: "e.g. 4.88(b) or table 4.24",
    feedbackSend: "Send feedback",
    feedbackCancel: "Cancel",
    feedbackSending: "Sending…",
    feedbackThanks: "Thank you: your feedback is recorded.",
    copyLink: "Copy link",
    copyLinkAria: "Copy link for a colleague: opening it asks this question",
    copiedLink: "Link copied",
    downloadCsv: "Download CSV",
    copyQuoteCite: "Copy quote with citation",
    copiedQuoteCite: "Quote and citation copied",
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

// Labels made from data (a time, what a question asks) that a language switch must redo; chat.js adds its own.
const relabelers = [];

export function onLangChange(fn) {
  relabelers.push(fn);
}

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
  for (const fn of relabelers) fn();
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
