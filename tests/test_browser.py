"""Drive the web page in headless Chromium against the real service (tests/browser_page.py): ask, open a
citation, follow up, search."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .browser_page import (
    ANSWER_TIMEOUT_S,
    FOLLOW_UP,
    QUESTION,
    RECORD_FETCH_JS,
    SEARCH_QUERY,
    UI_TIMEOUT_S,
    api,
    nth_reply,
    shot,
    text_of,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_ask_open_citation_and_search(driver: webdriver.Chrome, base_url: str) -> None:
    try:
        _scenario(driver, base_url)
    except BaseException:
        try:
            shot(driver, "failure")
        except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
            pass
        raise


def _scenario(driver: webdriver.Chrome, base_url: str) -> None:
    driver.get(f"{base_url}/")
    chat_input = wait_for(driver, lambda d: d.find_element(By.ID, "chat-input"), UI_TIMEOUT_S, "#chat-input")
    driver.execute_script(RECORD_FETCH_JS)
    assert driver.find_element(By.ID, "search-input").is_displayed()
    assert not driver.find_element(By.ID, "passage-panel").is_displayed()

    # --- Ask in Chinese; Enter sends. -----------------------------------------------------
    chat_input.click()
    chat_input.send_keys(QUESTION)
    chat_input.send_keys(Keys.ENTER)
    answer = wait_for(driver, nth_reply(1), ANSWER_TIMEOUT_S, "the answer to the first question")
    assert answer.get_attribute("data-abstained") == "false", (
        f"the question was abstained on: {text_of(answer)!r}"
    )
    markers = answer.find_elements(By.CSS_SELECTOR, ".answer-text .citation")
    assert markers, f"no citation marker was turned into a link in the answer: {text_of(answer)!r}"
    marker = markers[0]
    cited_id = marker.get_attribute("data-id") or ""
    assert cited_id and text_of(marker) == cited_id
    shot(driver, "chat")

    # What the service says about that citation and passage, to compare with what the page shows.
    reference = api(base_url, "/ask", {"question": QUESTION, "top_k": 5, "conversation_id": None})
    quotes = {c["id"]: c["quote"] for c in reference["citations"]}
    assert cited_id in quotes, f"{cited_id} is not among the citations of the same question: {sorted(quotes)}"
    quote = quotes[cited_id]
    passage = api(base_url, f"/passages/{urllib.parse.quote(cited_id, safe='')}")

    # --- Open the citation: the panel shows the passage with the quote marked. -------------
    marker.click()
    panel = driver.find_element(By.ID, "passage-panel")
    wait_for(
        driver,
        lambda d: panel.is_displayed() and panel.get_attribute("aria-busy") == "false",
        UI_TIMEOUT_S,
        "the passage panel to open and load",
    )
    assert text_of(driver.find_element(By.ID, "passage-id")) == cited_id
    passage_text = driver.find_element(By.ID, "passage-text")
    assert text_of(passage_text) == passage["text"]
    marks = passage_text.find_elements(By.CSS_SELECTOR, "mark")
    assert marks, "the quote is not marked in the passage text"
    assert text_of(marks[0]) == quote
    assert quote in text_of(passage_text)
    if passage.get("heading"):
        assert text_of(driver.find_element(By.ID, "passage-heading")) == " › ".join(passage["heading"])
    linked = [s for s in passage.get("symbols", []) if str(s.get("url") or "").startswith("http")]
    links = driver.find_elements(By.CSS_SELECTOR, "#passage-symbols a[href]")
    assert len(links) == len(linked)
    shot(driver, "passage")

    # --- Esc closes the panel and gives focus back to the citation. ------------------------
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait_for(driver, lambda d: not panel.is_displayed(), UI_TIMEOUT_S, "Esc to close the passage panel")
    assert driver.switch_to.active_element == marker

    # --- A follow-up keeps the conversation id. --------------------------------------------
    chat_input.send_keys(FOLLOW_UP)
    chat_input.send_keys(Keys.ENTER)
    wait_for(driver, nth_reply(2), ANSWER_TIMEOUT_S, "the answer to the follow-up question")
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
    expected = api(base_url, f"/search?q={urllib.parse.quote(SEARCH_QUERY)}&top_k=10")["results"]
    assert expected, "the service found nothing for the search query"
    results_list = driver.find_element(By.ID, "search-results")
    wait_for(
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
            assert text_of(shown_heading[0]) == " › ".join(result["heading"])
        shown_marks = [text_of(m) for m in item.find_elements(By.CSS_SELECTOR, ".result-text mark")]
        if result["highlights"]:
            assert shown_marks, f"highlights of {result['id']} are not marked"
        for text in shown_marks:
            assert text and text in result["text"]
    shot(driver, "search")

    # Clicking a result opens that passage.
    items[0].find_element(By.CSS_SELECTOR, ".result-open").click()
    wait_for(
        driver,
        lambda d: panel.is_displayed() and text_of(d.find_element(By.ID, "passage-id")) == expected[0]["id"],
        UI_TIMEOUT_S,
        "the first search result to open",
    )
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait_for(driver, lambda d: not panel.is_displayed(), UI_TIMEOUT_S, "Esc to close the passage panel")

    # --- The other UI language. --------------------------------------------------------------
    toggle = driver.find_element(By.ID, "lang-toggle")
    before = driver.find_element(By.ID, "chat-send").text
    toggle.click()
    assert driver.find_element(By.ID, "chat-send").text != before
    shot(
        driver,
        "english" if driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en" else "chinese",
    )

    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, f"errors in the browser console: {severe}"
