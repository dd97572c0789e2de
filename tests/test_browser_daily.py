"""Drive the web page in headless Chromium against the real service (tests/browser_page.py): issue 12, a
delegate's and a drafter's daily work (long answers, both id forms, the passage panel, follow-ups, network
errors, abstentions)."""

from __future__ import annotations

import json
import time

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from .browser_page import (
    ANSWER_TIMEOUT_S,
    QUESTION,
    RECORD_FETCH_JS,
    REPO_ROOT,
    UI_TIMEOUT_S,
    api,
    nth_reply,
    shot,
    text_of,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


LONG_ANSWER = "4.88 说了什么？"
FIRST = "次级方案 1 的 2024 年拟议经常预算资源是多少？"
THEN = "那次级方案 3 呢？"
TABLE_FIXTURE = json.loads((REPO_ROOT / "tests" / "data" / "table_4_24.json").read_text(encoding="utf-8"))
TABLE_CELL = "表4.24/r5/c7"  # 3. 常规武器, 2024 年估计: 2 768.9

# Top of the element and of its first line of text, and the visible band of the chat log within the window.
IN_VIEW_JS = """
const el = arguments[0];
const log = document.getElementById('chat-log').getBoundingClientRect();
const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {acceptNode: (n) => n.data.trim() ? 1 : 3});
const node = walker.nextNode();
const range = document.createRange();
range.setStart(node, 0); range.setEnd(node, Math.min(1, node.data.length));
const line = range.getClientRects()[0];
const top = Math.max(0, log.top), bottom = Math.min(window.innerHeight, log.bottom);
return {top: line.top, bottom: line.bottom, visibleTop: top, visibleBottom: bottom};
"""

# Adds the table contract's fields the other branch is building to what the service answers today, so the
# renderer is tested against the contract: GET /passages/表4.24 gets `table`, a citation of 表4.24 a `cell`.
TABLE_STUB_JS = """
const table = arguments[0], cell = arguments[1];
if (!window.__citeqaTableStub) {
  window.__citeqaTableStub = true;
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input), document.baseURI);
    const response = await original(input, init);
    const path = decodeURIComponent(url.pathname);
    if (!path.endsWith('/passages/表4.24') && !path.endsWith('/ask')) return response;
    const body = await response.clone().json();
    if (path.endsWith('/passages/表4.24')) body.table = table;
    else for (const c of body.citations || []) if (c.id === '表4.24') c.cell = cell;
    return new Response(JSON.stringify(body), {status: response.status, headers: {'Content-Type': 'application/json'}});
  };
}
"""

# The first /ask fails as a dropped connection would; later ones go through.
FAIL_ONCE_JS = """
if (!window.__citeqaFailOnce) {
  window.__citeqaFailOnce = true;
  const original = window.fetch.bind(window);
  let failed = false;
  window.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!failed && new URL(url, document.baseURI).pathname.endsWith('/ask')) {
      failed = true;
      throw new TypeError('Failed to fetch');
    }
    return original(input, init);
  };
}
"""


def _viewport(driver: WebDriver, width: int, height: int, mobile: bool) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})


def _fresh(driver: WebDriver, base_url: str) -> WebElement:
    driver.get(f"{base_url}/?lang=zh")  # an earlier test may have left the page in English
    driver.execute_script("sessionStorage.clear();")  # and a conversation the tab keeps across reloads
    driver.get(f"{base_url}/?lang=zh")
    return wait_for(
        driver,
        lambda d: d.find_element(By.CSS_SELECTOR, "body[data-ready='true'] #chat-input"),
        UI_TIMEOUT_S,
        "the page to start",
    )


def _ask(driver: WebDriver, question: str, n: int) -> WebElement:
    box = driver.find_element(By.ID, "chat-input")
    box.click()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    return wait_for(driver, nth_reply(n), ANSWER_TIMEOUT_S, f"answer {n} ({question!r})")


def _open_panel(driver: WebDriver, button: WebElement) -> WebElement:
    button.click()
    panel = driver.find_element(By.ID, "passage-panel")
    wait_for(
        driver,
        lambda d: panel.is_displayed() and panel.get_attribute("aria-busy") == "false",
        UI_TIMEOUT_S,
        "the passage panel to load",
    )
    return panel


@pytest.mark.parametrize(("width", "height", "mobile"), [(1366, 900, False), (390, 844, True)])
def test_a_long_answer_shows_its_question_and_first_line(
    driver: webdriver.Chrome, base_url: str, width: int, height: int, mobile: bool
) -> None:
    _viewport(driver, width, height, mobile)
    try:
        _fresh(driver, base_url)
        answer = _ask(driver, LONG_ANSWER, 1)
        time.sleep(0.3)  # let smooth layout settle; no timing is asserted
        sources = answer.find_elements(By.CSS_SELECTOR, ".source")
        assert sources, "the long answer lists its sources"
        first = driver.execute_script(IN_VIEW_JS, answer.find_element(By.CSS_SELECTOR, ".answer-text"))
        question = driver.execute_script(
            IN_VIEW_JS, driver.find_element(By.CSS_SELECTOR, "#chat-log .msg-user")
        )
        shot(driver, f"long-answer-{width}")
        for what, box in (("the answer's first line", first), ("the question", question)):
            assert box["visibleTop"] - 1 <= box["top"] and box["bottom"] <= box["visibleBottom"] + 1, (
                what,
                box,
            )
        hint = driver.find_element(By.CSS_SELECTOR, ".kbd-hint")
        assert hint.is_displayed() is (not mobile), "the '/' hint shows only where there is a keyboard"
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def test_sources_give_both_id_forms_and_copy_a_citation(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    answer = _ask(driver, "4.88 (b)㈠ 说了什么？", 1)
    expected = api(base_url, "/ask", {"question": "4.88 (b)㈠ 说了什么？"})["citations"][0]
    source = answer.find_element(By.CSS_SELECTOR, ".source")
    assert text_of(source.find_element(By.CSS_SELECTOR, ".id-en")) == "para. 4.88 (b) (i)"
    assert text_of(source.find_element(By.CSS_SELECTOR, ".id-zh")) == "第 4.88 (b) ㈠ 段"
    link = source.find_element(By.CSS_SELECTOR, "a.source-doc")
    assert link.get_attribute("href") == expected["source_url"] == "https://undocs.org/ch/A/78/6(Sect.4)"
    source.find_element(By.CSS_SELECTOR, ".copy-cite").click()
    wait_for(
        driver,
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied"),
        UI_TIMEOUT_S,
        "the citation to be copied",
    )
    assert (
        driver.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied")
        == "A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段"
        == expected["cite_zh"]
    )
    source.find_element(By.CSS_SELECTOR, ".copy-quote").click()
    wait_for(
        driver,
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied") == expected["quote"],
        UI_TIMEOUT_S,
        "the quote to be copied",
    )
    assert driver.find_element(By.ID, "toast").is_displayed()


def test_a_paragraph_and_a_table_open_in_the_panel(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    driver.execute_script(TABLE_STUB_JS, TABLE_FIXTURE, TABLE_CELL)
    answer = _ask(driver, "表 4.24 说了什么？", 1)
    marker = answer.find_element(By.CSS_SELECTOR, ".answer-text .citation[data-id='表4.24']")
    panel = _open_panel(driver, marker)
    assert panel.get_attribute("data-view") == "table"
    table = panel.find_element(By.CSS_SELECTOR, "table.data-table")
    header_rows = table.find_elements(By.CSS_SELECTOR, "thead tr")
    assert len(header_rows) == 2  # 变动 over its five columns
    spanning = [th for th in header_rows[0].find_elements(By.TAG_NAME, "th") if th.get_attribute("colspan")]
    assert [(text_of(th), th.get_attribute("colspan")) for th in spanning] == [("变动", "5")]
    body_rows = table.find_elements(By.CSS_SELECTOR, "tbody tr:not(.part-row)")
    assert len(body_rows) == len(TABLE_FIXTURE["rows"])
    hit = table.find_element(By.CSS_SELECTOR, "td.cell-hit")
    assert text_of(hit) == "2 768.9" and hit.get_attribute("data-id") == TABLE_CELL
    assert table.find_element(By.CSS_SELECTOR, "tr.row-hit th").text == "3. 常规武器"
    shot(driver, "table")
    # Sideways scrolling stays inside the table's box at phone width.
    _viewport(driver, 390, 844, True)
    try:
        widths = driver.execute_script(
            "const w = document.querySelector('.table-wrap');"
            "return [w.scrollWidth, w.clientWidth, document.documentElement.scrollWidth, window.innerWidth];"
        )
        assert widths[0] > widths[1], "the table is wider than its box at 390 px"
        assert widths[2] <= widths[3], "the page itself does not scroll sideways"
        shot(driver, "table-390")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
    # A paragraph from the family links opens as text, the header still in view when scrolled.
    panel.find_element(By.CSS_SELECTOR, ".family-link").click()
    wait_for(
        driver,
        lambda d: (
            text_of(d.find_element(By.ID, "passage-id")) == "4.85"
            and panel.get_attribute("aria-busy") == "false"
        ),
        UI_TIMEOUT_S,
        "paragraph 4.85 to open",
    )
    assert panel.get_attribute("data-view") == "text"
    assert text_of(driver.find_element(By.ID, "passage-text")) == api(base_url, "/passages/4.85")["text"]
    assert text_of(driver.find_element(By.CSS_SELECTOR, "#passage-id-forms .id-en")) == "para. 4.85"
    driver.find_element(By.CSS_SELECTOR, "#passage-cite-actions .copy-cite").click()
    wait_for(
        driver,
        lambda d: (
            d.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied")
            == "A/78/6 (Sect. 4)，第 4.85 段"
        ),
        UI_TIMEOUT_S,
        "the paragraph's citation to be copied",
    )
    driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", panel)
    head = driver.find_element(By.CSS_SELECTOR, ".panel-head").rect
    assert head["y"] >= panel.rect["y"] - 1 and driver.find_element(By.ID, "passage-close").is_displayed()


def test_a_follow_up_shows_how_it_was_understood(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    driver.execute_script(RECORD_FETCH_JS)
    _ask(driver, FIRST, 1)
    second = _ask(driver, THEN, 2)
    calls = driver.execute_script("return window.__citeqaAsk || [];")
    resolved = calls[-1]["response"]["resolved_question"]
    assert resolved and resolved != THEN
    shown = second.find_element(By.CSS_SELECTOR, "[data-testid='resolved']")
    assert text_of(shown) == f"理解为：{resolved}"


def test_a_network_error_keeps_the_question_and_retries(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    driver.execute_script(FAIL_ONCE_JS)
    box = driver.find_element(By.ID, "chat-input")
    box.send_keys(QUESTION)
    box.send_keys(Keys.ENTER)
    error = wait_for(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-log .msg-error"), UI_TIMEOUT_S, "the error"
    )[0]
    assert box.get_attribute("value") == QUESTION, "the typed question is kept"
    error.find_element(By.CSS_SELECTOR, "[data-testid='chat-retry']").click()
    answer = wait_for(driver, nth_reply(1), ANSWER_TIMEOUT_S, "the answer after retrying")
    assert answer.get_attribute("data-abstained") == "false"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#chat-log .msg-user")) == 1  # asked once, shown once


def test_an_abstention_says_not_answered_once(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    answer = _ask(driver, "法国的首都是哪里？", 1)
    assert answer.get_attribute("data-abstained") == "true"
    text = text_of(answer)
    assert text.count("没有回答") + text.count("未找到") + text.count("Not in this document") == 1, text
