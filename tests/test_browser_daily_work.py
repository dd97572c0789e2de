"""Drive the web page in headless Chromium against the real service (tests/browser_page.py): a delegate's daily
work. The cited source marked and the others folded, the understood question and scope from the first turn,
the question box in view on a phone, the address (?q=, #id, a reload), feedback stored, tables whose header covers
no row, the English page after "New conversation" and times that read well."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from .browser_page import ANSWER_TIMEOUT_S, QUESTION, UI_TIMEOUT_S, api, nth_reply, shot, text_of, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LONG_ANSWER = "4.88 说了什么？"
TABLE_CELL = "表4.24/r5/c7"

# Rewrites what /ask answers, the way the reader's fields will look once filled: `patch` is merged into the body.
ASK_PATCH_JS = """
const patch = arguments[0];
window.__citeqaPatch = patch;
if (!window.__citeqaPatched) {
  window.__citeqaPatched = true;
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input), document.baseURI);
    const response = await original(input, init);
    if (!url.pathname.endsWith('/ask') || !window.__citeqaPatch) return response;
    const body = Object.assign(await response.clone().json(), window.__citeqaPatch);
    return new Response(JSON.stringify(body), {status: response.status, headers: {'Content-Type': 'application/json'}});
  };
}
"""

# Is each of the first body rows' value cells the element painted at its own centre (nothing sticky over it)?
UNCOVERED_JS = """
const rows = [...document.querySelectorAll('#passage-panel .data-table tbody tr:not(.part-row)')].slice(0, 3);
return rows.map((tr) => {
  const td = tr.querySelector('td');
  const box = td.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return {row: tr.dataset.id, text: td.textContent, visible: box.height > 0, top: hit === td || td.contains(hit),
          on: hit ? hit.tagName + '.' + hit.className : null};
});
"""


@pytest.fixture
def fresh(driver: WebDriver, base_url: str) -> Iterator[WebDriver]:
    """The page in Chinese with no conversation kept from an earlier test, on a desktop-sized window."""
    driver.get(f"{base_url}/?lang=zh")
    driver.execute_script("sessionStorage.clear(); localStorage.removeItem('citeqa.lang');")
    _open(driver, f"{base_url}/?lang=zh")
    yield driver
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def _open(driver: WebDriver, url: str) -> None:
    driver.get(url)
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready='true']"), UI_TIMEOUT_S, url)


def _phone(driver: WebDriver) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    )
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})


def _ask(driver: WebDriver, question: str, n: int) -> WebElement:
    box = driver.find_element(By.ID, "chat-input")
    box.click()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    return wait_for(driver, nth_reply(n), ANSWER_TIMEOUT_S, f"answer {n} ({question!r})")


def _copied(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied") or ""


def test_the_cited_source_is_marked_and_the_others_folded(fresh: WebDriver, base_url: str) -> None:
    answer = _ask(fresh, QUESTION, 1)
    marked = [
        m.get_attribute("data-id") for m in answer.find_elements(By.CSS_SELECTOR, ".answer-text .citation")
    ]
    cited = answer.find_elements(By.CSS_SELECTOR, "[data-testid='cited-sources'] > li.source")
    assert marked and [c.get_attribute("data-id") for c in cited] == list(dict.fromkeys(marked))
    assert all(
        c.get_attribute("data-cited") == "true"
        and c.find_element(By.CSS_SELECTOR, ".cited-badge").is_displayed()
        for c in cited
    )
    related = answer.find_element(By.CSS_SELECTOR, "details[data-testid='related']")
    expected = api(base_url, "/ask", {"question": QUESTION})["citations"]
    others = [c["id"] for c in expected if c["id"] not in marked]
    assert others and related.get_attribute("open") is None  # folded
    assert text_of(related.find_element(By.TAG_NAME, "summary")) == f"相关段落（{len(others)}）"
    folded = related.find_elements(By.CSS_SELECTOR, "li.source")
    assert [f.get_attribute("data-id") for f in folded] == others and not folded[0].is_displayed()
    related.find_element(By.TAG_NAME, "summary").click()
    assert folded[0].is_displayed() and folded[0].get_attribute("data-cited") == "false"
    shot(fresh, "daily-sources")


def test_the_understood_question_and_scope_show_on_the_first_turn(fresh: WebDriver) -> None:
    answer = _ask(fresh, QUESTION, 1)
    understood = answer.find_element(By.CSS_SELECTOR, "[data-testid='understood'] [data-testid='resolved']")
    assert understood.is_displayed() and text_of(understood) == f"理解为：{QUESTION}"
    # The reader's fields, as the service will send them: each is shown, on the first turn already.
    fresh.execute_script(
        ASK_PATCH_JS,
        {
            "understood": {
                "question": "2024 年拟议资源总额（重计费用前）",
                "asks": "money",
                "unit": "美元",
                "scope": ["第 4 款 裁军", "2024 年", "经常预算"],
            },
            "matched": ["2024 年", "重计费用前"],
        },
    )
    fresh.find_element(By.ID, "chat-new").click()
    answer = _ask(fresh, QUESTION, 1)
    box = answer.find_element(By.CSS_SELECTOR, "[data-testid='understood']")
    assert (
        text_of(box.find_element(By.CSS_SELECTOR, "[data-testid='resolved']"))
        == "理解为：2024 年拟议资源总额（重计费用前）"
    )
    chips = [text_of(c) for c in box.find_elements(By.CSS_SELECTOR, "[data-testid='scope'] .chip")]
    assert chips == ["问：金额", "第 4 款 裁军", "2024 年", "经常预算", "单位：美元"]
    matched = box.find_element(By.CSS_SELECTOR, "[data-testid='matched']")
    assert [text_of(c) for c in matched.find_elements(By.CSS_SELECTOR, ".chip")] == ["2024 年", "重计费用前"]
    shot(fresh, "daily-understood")
    fresh.find_element(By.ID, "lang-toggle").click()
    assert text_of(box.find_element(By.CSS_SELECTOR, ".chip-asks")) == "Asks: amount"
    # An abstention says why.
    fresh.execute_script(ASK_PATCH_JS, {"abstain_reason": "文件没有按国家分列的数字"})
    abstained = _ask(fresh, "法国的首都是哪里？", 2)
    assert abstained.get_attribute("data-abstained") == "true"
    assert (
        text_of(abstained.find_element(By.CSS_SELECTOR, "[data-testid='abstain-reason']"))
        == "Why: 文件没有按国家分列的数字"
    )


def test_on_a_phone_the_question_box_stays_in_view_after_an_answer(fresh: WebDriver) -> None:
    _phone(fresh)
    for n, question in enumerate((LONG_ANSWER, QUESTION), start=1):
        _ask(fresh, question, n)
        state = fresh.execute_script("""
            const input = document.getElementById('chat-input').getBoundingClientRect();
            const log = document.getElementById('chat-log');
            return {top: input.top, bottom: input.bottom, height: innerHeight, overflow: getComputedStyle(log).overflowY,
                    inner: log.scrollHeight - log.clientHeight, page: document.scrollingElement.scrollHeight};""")
        assert 0 <= state["top"] and state["bottom"] <= state["height"], state  # the box is on the screen
        assert state["overflow"] == "visible" and state["inner"] <= 1, (
            state
        )  # the log does not scroll by itself
        assert state["page"] > state["height"], state  # the page does: one scroller
    shot(fresh, "daily-phone")


def test_the_address_asks_opens_and_a_reload_keeps_the_conversation(fresh: WebDriver, base_url: str) -> None:
    _open(fresh, f"{base_url}/?lang=zh&q={urllib.parse.quote(QUESTION)}")
    first = wait_for(fresh, nth_reply(1), ANSWER_TIMEOUT_S, "the question in ?q= to be answered")
    assert text_of(fresh.find_element(By.CSS_SELECTOR, "#chat-log .question-text")) == QUESTION
    assert "q=" not in fresh.current_url  # asked once: a reload does not ask again
    _ask(fresh, "与 2023 年批款相比增加了多少？", 2)
    before = [
        text_of(a.find_element(By.CSS_SELECTOR, ".answer-text"))
        for a in fresh.find_elements(By.CSS_SELECTOR, "#chat-log .msg-assistant")
    ]
    # The link a delegate sends a colleague asks the same question.
    first.find_element(By.CSS_SELECTOR, "[data-testid='copy-link']").click()
    wait_for(fresh, lambda d: "q=" in _copied(d), UI_TIMEOUT_S, "the link to be copied")
    link = _copied(fresh)
    assert urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["q"] == [QUESTION]

    fresh.refresh()
    wait_for(
        fresh,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat-log .msg-assistant")) == 2,
        UI_TIMEOUT_S,
        "the conversation to come back after a reload",
    )
    after = [
        text_of(a.find_element(By.CSS_SELECTOR, ".answer-text"))
        for a in fresh.find_elements(By.CSS_SELECTOR, "#chat-log .msg-assistant")
    ]
    assert after == before
    # A follow-up after the reload continues the same conversation.
    _ask(fresh, "那次级方案 3 呢？", 3)

    fresh.find_element(By.ID, "chat-new").click()
    _open(fresh, link)
    wait_for(fresh, nth_reply(1), ANSWER_TIMEOUT_S, "the copied link to ask its question")
    assert text_of(fresh.find_element(By.CSS_SELECTOR, "#chat-log .question-text")) == QUESTION

    _open(fresh, f"{base_url}/?lang=zh#4.88(b)")
    panel = fresh.find_element(By.ID, "passage-panel")
    wait_for(
        fresh,
        lambda d: panel.is_displayed() and panel.get_attribute("aria-busy") == "false",
        UI_TIMEOUT_S,
        "#4.88(b) to open",
    )
    assert text_of(fresh.find_element(By.ID, "passage-id")) == "4.88(b)"
    fresh.find_element(By.ID, "passage-close").click()
    assert "#" not in fresh.current_url
    fresh.execute_script("location.hash = '4.86'")
    wait_for(
        fresh,
        lambda d: text_of(d.find_element(By.ID, "passage-id")) == "4.86" and panel.is_displayed(),
        UI_TIMEOUT_S,
        "a changed hash to open its passage",
    )
    # The skip link's anchor is the page's own, not a passage: nothing opens, no error.
    fresh.find_element(By.ID, "passage-close").click()
    hidden_after = fresh.execute_async_script(
        "const done = arguments[0];"
        "addEventListener('hashchange', () => setTimeout(() => done(document.getElementById('passage-panel').hidden)),"
        " {once: true});"
        "location.hash = 'chat-input';"
    )
    assert hidden_after is True and "#chat-input" in fresh.current_url


def test_a_down_vote_with_a_comment_is_stored(fresh: WebDriver, base_url: str) -> None:
    answer = _ask(fresh, QUESTION, 1)
    answer_id = answer.get_attribute("data-answer-id")
    answer.find_element(By.CSS_SELECTOR, "[data-testid='vote-down']").click()
    form = answer.find_element(By.CSS_SELECTOR, "[data-testid='feedback-form']")
    assert form.is_displayed()
    form.find_element(By.CSS_SELECTOR, "[data-testid='feedback-comment']").send_keys("应引用表 4.24")
    passage = form.find_element(By.CSS_SELECTOR, "[data-testid='feedback-passage']")
    passage.send_keys("4.999")
    form.find_element(By.CSS_SELECTOR, "[data-testid='feedback-send']").click()
    status = wait_for(
        fresh,
        lambda d: text_of(form.find_element(By.CSS_SELECTOR, ".feedback-status")).startswith("出错"),
        UI_TIMEOUT_S,
        "an unknown passage to be refused",
    )
    assert status and "4.99" in text_of(form.find_element(By.CSS_SELECTOR, ".feedback-status"))  # the nearest
    passage.clear()
    passage.send_keys("表 4.24")
    form.find_element(By.CSS_SELECTOR, "[data-testid='feedback-send']").click()
    done = wait_for(
        fresh,
        lambda d: answer.find_elements(By.CSS_SELECTOR, ".feedback-done"),
        UI_TIMEOUT_S,
        "the feedback to be recorded",
    )[0]
    assert text_of(done) == "谢谢，反馈已记录。"
    items = api(base_url, "/feedback?verdict=down&limit=500")["items"]
    [item] = [i for i in items if i["comment"] == "应引用表 4.24"]
    assert (item["question"], item["verdict"], item["passage"]) == (QUESTION, "down", "表4.24")
    assert item["answer"] == text_of(answer.find_element(By.CSS_SELECTOR, ".answer-text")) and answer_id
    # Kept after a reload: the answer says it was rated, and offers no second vote.
    fresh.refresh()
    reply = wait_for(fresh, nth_reply(1), UI_TIMEOUT_S, "the conversation after a reload")
    assert reply.find_elements(By.CSS_SELECTOR, ".feedback-done") and not reply.find_elements(
        By.CSS_SELECTOR, "[data-testid='vote-down']"
    )


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_table_header_covers_no_row_and_years_stay_whole(
    fresh: WebDriver, base_url: str, phone: bool
) -> None:
    if phone:
        _phone(fresh)
    _open(fresh, f"{base_url}/?lang=zh#{TABLE_CELL}")
    panel = fresh.find_element(By.ID, "passage-panel")
    wait_for(
        fresh,
        lambda d: (
            panel.is_displayed()
            and panel.get_attribute("aria-busy") == "false"
            and d.find_elements(By.CSS_SELECTOR, "#passage-panel table.data-table")
        ),
        UI_TIMEOUT_S,
        "the table",
    )
    hit = fresh.find_element(By.CSS_SELECTOR, "#passage-panel td.cell-hit")
    assert hit.get_attribute("data-id") == TABLE_CELL
    # The table's top in view (below the panel's own sticky head), its rows scrolled to the first.
    fresh.execute_script(
        "const w = document.querySelector('#passage-panel .table-wrap');"
        "w.scrollTop = 0; w.scrollLeft = 0; w.scrollIntoView({block: 'start'});"
    )
    rows = fresh.execute_script(UNCOVERED_JS)
    assert len(rows) == 3 and all(r["visible"] and r["top"] for r in rows), rows
    # The body scrolled under the header: the header stays on top (the sticky row labels included).
    on_top = fresh.execute_script(
        "const w = document.querySelector('#passage-panel .table-wrap'); w.scrollTop = 80;"
        "const corner = w.querySelector('thead .corner').getBoundingClientRect();"
        "const e = document.elementFromPoint(corner.left + corner.width / 2, corner.bottom - 4);"
        "return e ? e.closest('thead') !== null : null;"
    )
    assert on_top is True, "a row scrolled under the header is painted over it"
    # Scrolled up to the cell the id names, from below: it stops under the header, not beneath it.
    fresh.execute_script(
        "const w = document.querySelector('#passage-panel .table-wrap'); w.scrollTop = w.scrollHeight;"
        "arguments[0].scrollIntoView({block: 'nearest', inline: 'nearest'});",
        hit,
    )
    box = fresh.execute_script(
        "const b = arguments[0].getBoundingClientRect();"
        "const e = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);"
        "return e === arguments[0] || arguments[0].contains(e);",
        hit,
    )
    assert box, "the cell named is covered"
    years = fresh.find_elements(By.CSS_SELECTOR, "#passage-panel thead .nowrap")
    assert years and all(re.fullmatch(r"\d{4}\s*年", text_of(y)) for y in years)
    assert all(fresh.execute_script("return arguments[0].getClientRects().length", y) == 1 for y in years)
    shot(fresh, f"daily-table-{'phone' if phone else 'desktop'}")


def test_the_table_panel_downloads_csv_and_copies_the_quote_with_its_citation(
    fresh: WebDriver, base_url: str
) -> None:
    _open(fresh, f"{base_url}/?lang=zh#{TABLE_CELL}")
    wait_for(
        fresh,
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='table-csv']"),
        UI_TIMEOUT_S,
        "the CSV link",
    )
    link = fresh.find_element(By.CSS_SELECTOR, "[data-testid='table-csv']")
    href = link.get_attribute("href") or ""
    assert urllib.parse.unquote(href) == f"{base_url}/tables/表4.24.csv"
    with urllib.request.urlopen(href, timeout=30) as r:
        assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    focus = api(base_url, f"/passages/{urllib.parse.quote(TABLE_CELL, safe='')}")["focus"]
    fresh.find_element(By.CSS_SELECTOR, "[data-testid='copy-quote-cite']").click()
    wait_for(fresh, lambda d: _copied(d).startswith("「"), UI_TIMEOUT_S, "the quote to be copied")
    # The cell is in the table's part (1), and the document cites a part so: "如表 4.24 (1)所示".
    assert focus["part"].startswith("(1)")
    assert _copied(fresh) == f"「{focus['quote']}」（A/78/6 (Sect. 4)，表 4.24 (1)）"


def test_english_after_new_conversation_and_a_cached_answer_time(fresh: WebDriver) -> None:
    fresh.find_element(By.ID, "lang-toggle").click()
    answer = _ask(fresh, QUESTION, 1)
    assert answer.is_displayed()
    fresh.find_element(By.ID, "chat-new").click()
    intro = fresh.find_element(By.CSS_SELECTOR, "#chat-empty [data-i18n='emptyIntro']")
    assert text_of(intro).startswith("Ask about this document"), text_of(intro)
    fresh.find_element(By.ID, "lang-toggle").click()  # back to Chinese while the intro is shown, then English
    fresh.find_element(By.ID, "lang-toggle").click()
    assert text_of(intro).startswith("Ask about this document")
    # A cached answer takes under a millisecond: the page says so, never "0.00 s".
    fresh.execute_script(ASK_PATCH_JS, {"took_ms": 0.21})
    answer = _ask(fresh, QUESTION, 1)
    took = answer.find_element(By.CSS_SELECTOR, ".msg-time")
    assert text_of(took) == "<1 ms"
    fresh.find_element(By.ID, "lang-toggle").click()
    assert text_of(took) == "<1 毫秒"
    fresh.execute_script(ASK_PATCH_JS, None)
