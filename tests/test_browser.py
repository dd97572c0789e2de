"""Drive the web page in headless Chromium against the real service.

The service is started with uvicorn in a subprocess on a free loopback port, unless
``CITEQA_TEST_BASE_URL`` points at one already running (handy while developing the page).
Browser and driver are Debian's (``apt-get install chromium chromium-driver``), named
explicitly so that Selenium Manager never tries to download anything.
Screenshots go to ``test-output/browser-*.png`` at the repository root.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from eval.server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT_DIR = REPO_ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
    "--lang=zh-CN",
)
READY_TIMEOUT_S = 120.0
ANSWER_TIMEOUT_S = 120.0
UI_TIMEOUT_S = 20.0

QUESTION = "2024 年拟议资源总额在重计费用前是多少？"
FOLLOW_UP = "与 2023 年批款相比增加了多少？"
SEARCH_QUERY = "小武器"

# Records what the page sends to /ask and what it gets back, to check the conversation id is kept.
RECORD_FETCH_JS = """
if (!window.__citeqaAsk) {
  window.__citeqaAsk = [];
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const response = await original(input, init);
    if (new URL(url, document.baseURI).pathname.endsWith("/ask")) {
      const entry = {request: JSON.parse((init && init.body) || "null"), status: response.status, response: null};
      window.__citeqaAsk.push(entry);
      try { entry.response = await response.clone().json(); } catch (e) { /* not JSON */ }
    }
    return response;
  };
}
"""


# ------------------------------------------------------------------ helpers --


def _wait_ready(base_url: str) -> None:
    """An external service (CITEQA_TEST_BASE_URL) is waited for as the launcher waits for its own."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"GET {base_url}/readyz did not return 200 within {READY_TIMEOUT_S:.0f} s")


def _api(base_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(f"{base_url}{path}", data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=ANSWER_TIMEOUT_S) as resp:
        return json.loads(resp.read().decode("utf-8"))


def _index_dir(request: pytest.FixtureRequest) -> str | None:
    """The index to serve: a session fixture `index_dir` if the suite defines one, else $CITEQA_INDEX_DIR."""
    try:
        value = request.getfixturevalue("index_dir")
    except pytest.FixtureLookupError:
        value = os.environ.get("CITEQA_INDEX_DIR")
    return str(value) if value else None


def _text(element: WebElement) -> str:
    """The DOM text exactly as set (Selenium's `.text` collapses whitespace)."""
    return element.get_attribute("textContent") or ""


def _shot(driver: WebDriver, name: str) -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"browser-{name}.png"
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    return path


def _wait(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float, what: str) -> Any:
    try:
        return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
            condition
        )
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}") from None


def _nth_reply(n: int) -> Callable[[WebDriver], WebElement | None]:
    """The n-th (1-based) reply in the chat log, once it is there; an error reply fails the test."""

    def condition(driver: WebDriver) -> WebElement | None:
        replies = driver.find_elements(By.CSS_SELECTOR, "#chat-log .msg-assistant, #chat-log .msg-error")
        if len(replies) < n:
            return None
        reply = replies[n - 1]
        if "msg-error" in (reply.get_attribute("class") or ""):
            raise AssertionError(f"the page shows an error instead of an answer: {_text(reply)!r}")
        return reply

    return condition


# ----------------------------------------------------------------- fixtures --


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        pytest.skip(
            f"browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); "
            f"missing: {', '.join(missing)}"
        )
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is then never asked to fetch a driver or a browser.
    service = Service(executable_path=CHROMEDRIVER, log_output=str(profile.parent / "chromedriver.log"))
    drv = webdriver.Chrome(service=service, options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("CITEQA_TEST_BASE_URL", "").strip()
    if external:
        url = external.rstrip("/")
        _wait_ready(url)
        yield url
        return

    env = os.environ.copy()
    index_dir = _index_dir(request)
    if index_dir:
        env["CITEQA_INDEX_DIR"] = index_dir
    # The page sends no API key: test it against an open service.
    env.pop("CITEQA_API_KEY", None)
    with running_server(tmp_path_factory.mktemp("service") / "uvicorn.log", env, READY_TIMEOUT_S) as server:
        yield server.base_url


# -------------------------------------------------------------------- tests --


def test_ask_open_citation_and_search(driver: webdriver.Chrome, base_url: str) -> None:
    try:
        _scenario(driver, base_url)
    except BaseException:
        try:
            _shot(driver, "failure")
        except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
            pass
        raise


def _scenario(driver: webdriver.Chrome, base_url: str) -> None:
    driver.get(f"{base_url}/")
    chat_input = _wait(driver, lambda d: d.find_element(By.ID, "chat-input"), UI_TIMEOUT_S, "#chat-input")
    driver.execute_script(RECORD_FETCH_JS)
    assert driver.find_element(By.ID, "search-input").is_displayed()
    assert not driver.find_element(By.ID, "passage-panel").is_displayed()

    # --- Ask in Chinese; Enter sends. -----------------------------------------------------
    chat_input.click()
    chat_input.send_keys(QUESTION)
    chat_input.send_keys(Keys.ENTER)
    answer = _wait(driver, _nth_reply(1), ANSWER_TIMEOUT_S, "the answer to the first question")
    assert answer.get_attribute("data-abstained") == "false", (
        f"the question was abstained on: {_text(answer)!r}"
    )
    markers = answer.find_elements(By.CSS_SELECTOR, ".answer-text .citation")
    assert markers, f"no citation marker was turned into a link in the answer: {_text(answer)!r}"
    marker = markers[0]
    cited_id = marker.get_attribute("data-id") or ""
    assert cited_id and _text(marker) == cited_id
    _shot(driver, "chat")

    # What the service says about that citation and passage, to compare with what the page shows.
    reference = _api(base_url, "/ask", {"question": QUESTION, "top_k": 5, "conversation_id": None})
    quotes = {c["id"]: c["quote"] for c in reference["citations"]}
    assert cited_id in quotes, f"{cited_id} is not among the citations of the same question: {sorted(quotes)}"
    quote = quotes[cited_id]
    passage = _api(base_url, f"/passages/{urllib.parse.quote(cited_id, safe='')}")

    # --- Open the citation: the panel shows the passage with the quote marked. -------------
    marker.click()
    panel = driver.find_element(By.ID, "passage-panel")
    _wait(
        driver,
        lambda d: panel.is_displayed() and panel.get_attribute("aria-busy") == "false",
        UI_TIMEOUT_S,
        "the passage panel to open and load",
    )
    assert _text(driver.find_element(By.ID, "passage-id")) == cited_id
    passage_text = driver.find_element(By.ID, "passage-text")
    assert _text(passage_text) == passage["text"]
    marks = passage_text.find_elements(By.CSS_SELECTOR, "mark")
    assert marks, "the quote is not marked in the passage text"
    assert _text(marks[0]) == quote
    assert quote in _text(passage_text)
    if passage.get("heading"):
        assert _text(driver.find_element(By.ID, "passage-heading")) == " › ".join(passage["heading"])
    linked = [s for s in passage.get("symbols", []) if str(s.get("url") or "").startswith("http")]
    links = driver.find_elements(By.CSS_SELECTOR, "#passage-symbols a[href]")
    assert len(links) == len(linked)
    _shot(driver, "passage")

    # --- Esc closes the panel and gives focus back to the citation. ------------------------
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    _wait(driver, lambda d: not panel.is_displayed(), UI_TIMEOUT_S, "Esc to close the passage panel")
    assert driver.switch_to.active_element == marker

    # --- A follow-up keeps the conversation id. --------------------------------------------
    chat_input.send_keys(FOLLOW_UP)
    chat_input.send_keys(Keys.ENTER)
    _wait(driver, _nth_reply(2), ANSWER_TIMEOUT_S, "the answer to the follow-up question")
    calls = driver.execute_script("return window.__citeqaAsk || [];")
    assert len(calls) == 2, calls
    first_id = calls[0]["response"]["conversation_id"]
    assert calls[0]["request"]["conversation_id"] is None
    assert calls[1]["request"]["conversation_id"] == first_id and first_id

    # --- "/" focuses search (from outside a text field); results come as a ranked list. -----
    ActionChains(driver).send_keys(Keys.TAB).perform()  # leave the question box: to the Send button
    assert driver.switch_to.active_element.get_attribute("id") == "chat-send"
    ActionChains(driver).send_keys("/").perform()
    search = driver.switch_to.active_element
    assert search.get_attribute("id") == "search-input", "'/' did not focus the search box"
    search.send_keys(SEARCH_QUERY)
    search.send_keys(Keys.ENTER)
    expected = _api(base_url, f"/search?q={urllib.parse.quote(SEARCH_QUERY)}&top_k=10")["results"]
    assert expected, "the service found nothing for the search query"
    results_list = driver.find_element(By.ID, "search-results")
    _wait(
        driver,
        lambda d: (
            results_list.get_attribute("data-query") == SEARCH_QUERY
            and results_list.get_attribute("aria-busy") == "false"
        ),
        UI_TIMEOUT_S,
        f"search results for {SEARCH_QUERY!r}",
    )
    items = results_list.find_elements(By.CSS_SELECTOR, ":scope > li")
    assert [i.get_attribute("data-id") for i in items] == [r["id"] for r in expected]
    assert [i.get_attribute("data-rank") for i in items] == [str(n) for n in range(1, len(items) + 1)]
    for item, result in zip(items, expected, strict=True):
        shown_heading = item.find_elements(By.CSS_SELECTOR, ".result-heading")
        if result["heading"]:
            assert _text(shown_heading[0]) == " › ".join(result["heading"])
        shown_marks = [_text(m) for m in item.find_elements(By.CSS_SELECTOR, ".result-text mark")]
        if result["highlights"]:
            assert shown_marks, f"highlights of {result['id']} are not marked"
        for text in shown_marks:
            assert text and text in result["text"]
    _shot(driver, "search")

    # Clicking a result opens that passage.
    items[0].find_element(By.CSS_SELECTOR, ".result-open").click()
    _wait(
        driver,
        lambda d: panel.is_displayed() and _text(d.find_element(By.ID, "passage-id")) == expected[0]["id"],
        UI_TIMEOUT_S,
        "the first search result to open",
    )
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    _wait(driver, lambda d: not panel.is_displayed(), UI_TIMEOUT_S, "Esc to close the passage panel")

    # --- The other UI language. --------------------------------------------------------------
    toggle = driver.find_element(By.ID, "lang-toggle")
    before = driver.find_element(By.ID, "chat-send").text
    toggle.click()
    assert driver.find_element(By.ID, "chat-send").text != before
    _shot(
        driver,
        "english" if driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en" else "chinese",
    )

    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, f"errors in the browser console: {severe}"


# ------------------------------------------------------- issue 12: daily work --

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
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})


def _fresh(driver: WebDriver, base_url: str) -> WebElement:
    driver.get(f"{base_url}/?lang=zh")  # an earlier test may have left the page in English
    return _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "body[data-ready='true'] #chat-input"),
                 UI_TIMEOUT_S, "the page to start")


def _ask(driver: WebDriver, question: str, n: int) -> WebElement:
    box = driver.find_element(By.ID, "chat-input")
    box.click()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    return _wait(driver, _nth_reply(n), ANSWER_TIMEOUT_S, f"answer {n} ({question!r})")


def _open_panel(driver: WebDriver, button: WebElement) -> WebElement:
    button.click()
    panel = driver.find_element(By.ID, "passage-panel")
    _wait(driver, lambda d: panel.is_displayed() and panel.get_attribute("aria-busy") == "false", UI_TIMEOUT_S,
          "the passage panel to load")
    return panel


@pytest.mark.parametrize(("width", "height", "mobile"), [(1366, 900, False), (390, 844, True)])
def test_a_long_answer_shows_its_question_and_first_line(driver: webdriver.Chrome, base_url: str, width: int,
                                                         height: int, mobile: bool) -> None:
    _viewport(driver, width, height, mobile)
    try:
        _fresh(driver, base_url)
        answer = _ask(driver, LONG_ANSWER, 1)
        time.sleep(0.3)  # let smooth layout settle; no timing is asserted
        sources = answer.find_elements(By.CSS_SELECTOR, ".source")
        assert sources, "the long answer lists its sources"
        first = driver.execute_script(IN_VIEW_JS, answer.find_element(By.CSS_SELECTOR, ".answer-text"))
        question = driver.execute_script(IN_VIEW_JS, driver.find_element(By.CSS_SELECTOR, "#chat-log .msg-user"))
        _shot(driver, f"long-answer-{width}")
        for what, box in (("the answer's first line", first), ("the question", question)):
            assert box["visibleTop"] - 1 <= box["top"] and box["bottom"] <= box["visibleBottom"] + 1, (what, box)
        hint = driver.find_element(By.CSS_SELECTOR, ".kbd-hint")
        assert hint.is_displayed() is (not mobile), "the '/' hint shows only where there is a keyboard"
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def test_sources_give_both_id_forms_and_copy_a_citation(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    answer = _ask(driver, "4.88 (b)㈠ 说了什么？", 1)
    expected = _api(base_url, "/ask", {"question": "4.88 (b)㈠ 说了什么？"})["citations"][0]
    source = answer.find_element(By.CSS_SELECTOR, ".source")
    assert _text(source.find_element(By.CSS_SELECTOR, ".id-en")) == "para. 4.88 (b) (i)"
    assert _text(source.find_element(By.CSS_SELECTOR, ".id-zh")) == "第 4.88 (b) ㈠ 段"
    link = source.find_element(By.CSS_SELECTOR, "a.source-doc")
    assert link.get_attribute("href") == expected["source_url"] == "https://undocs.org/ch/A/78/6(Sect.4)"
    source.find_element(By.CSS_SELECTOR, ".copy-cite").click()
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied"), UI_TIMEOUT_S,
          "the citation to be copied")
    assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied") == \
        "A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段" == expected["cite_zh"]
    source.find_element(By.CSS_SELECTOR, ".copy-quote").click()
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied") == expected["quote"],
          UI_TIMEOUT_S, "the quote to be copied")
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
    assert [(_text(th), th.get_attribute("colspan")) for th in spanning] == [("变动", "5")]
    body_rows = table.find_elements(By.CSS_SELECTOR, "tbody tr:not(.part-row)")
    assert len(body_rows) == len(TABLE_FIXTURE["rows"])
    hit = table.find_element(By.CSS_SELECTOR, "td.cell-hit")
    assert _text(hit) == "2 768.9" and hit.get_attribute("data-id") == TABLE_CELL
    assert table.find_element(By.CSS_SELECTOR, "tr.row-hit th").text == "3. 常规武器"
    _shot(driver, "table")
    # Sideways scrolling stays inside the table's box at phone width.
    _viewport(driver, 390, 844, True)
    try:
        widths = driver.execute_script(
            "const w = document.querySelector('.table-wrap');"
            "return [w.scrollWidth, w.clientWidth, document.documentElement.scrollWidth, window.innerWidth];")
        assert widths[0] > widths[1], "the table is wider than its box at 390 px"
        assert widths[2] <= widths[3], "the page itself does not scroll sideways"
        _shot(driver, "table-390")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
    # A paragraph from the family links opens as text, the header still in view when scrolled.
    panel.find_element(By.CSS_SELECTOR, ".family-link").click()
    _wait(driver, lambda d: _text(d.find_element(By.ID, "passage-id")) == "4.85"
          and panel.get_attribute("aria-busy") == "false", UI_TIMEOUT_S, "paragraph 4.85 to open")
    assert panel.get_attribute("data-view") == "text"
    assert _text(driver.find_element(By.ID, "passage-text")) == _api(base_url, "/passages/4.85")["text"]
    assert _text(driver.find_element(By.CSS_SELECTOR, "#passage-id-forms .id-en")) == "para. 4.85"
    driver.find_element(By.CSS_SELECTOR, "#passage-cite-actions .copy-cite").click()
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-last-copied")
          == "A/78/6 (Sect. 4)，第 4.85 段", UI_TIMEOUT_S, "the paragraph's citation to be copied")
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
    assert _text(shown) == f"理解为：{resolved}"


def test_a_network_error_keeps_the_question_and_retries(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    driver.execute_script(FAIL_ONCE_JS)
    box = driver.find_element(By.ID, "chat-input")
    box.send_keys(QUESTION)
    box.send_keys(Keys.ENTER)
    error = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-log .msg-error"), UI_TIMEOUT_S,
                  "the error")[0]
    assert box.get_attribute("value") == QUESTION, "the typed question is kept"
    error.find_element(By.CSS_SELECTOR, "[data-testid='chat-retry']").click()
    answer = _wait(driver, _nth_reply(1), ANSWER_TIMEOUT_S, "the answer after retrying")
    assert answer.get_attribute("data-abstained") == "false"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#chat-log .msg-user")) == 1  # asked once, shown once


def test_an_abstention_says_not_answered_once(driver: webdriver.Chrome, base_url: str) -> None:
    _fresh(driver, base_url)
    answer = _ask(driver, "法国的首都是哪里？", 1)
    assert answer.get_attribute("data-abstained") == "true"
    text = _text(answer)
    assert text.count("没有回答") + text.count("未找到") + text.count("Not in this document") == 1, text
