"""What the browser tests share: Debian's headless Chromium, the service they drive, and waiting on the page.

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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from eval.server import running_server

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


def wait_ready(base_url: str) -> None:
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


def api(base_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(f"{base_url}{path}", data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=ANSWER_TIMEOUT_S) as resp:
        return json.loads(resp.read().decode("utf-8"))


def index_dir_for(request: pytest.FixtureRequest) -> str | None:
    """The index to serve: a session fixture `index_dir` if the suite defines one, else $CITEQA_INDEX_DIR."""
    try:
        value = request.getfixturevalue("index_dir")
    except pytest.FixtureLookupError:
        value = os.environ.get("CITEQA_INDEX_DIR")
    return str(value) if value else None


def text_of(element: WebElement) -> str:
    """The DOM text exactly as set (Selenium's `.text` collapses whitespace)."""
    return element.get_attribute("textContent") or ""


def shot(driver: WebDriver, name: str) -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"browser-{name}.png"
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    return path


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float, what: str) -> Any:
    try:
        return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
            condition
        )
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}") from None


def nth_reply(n: int) -> Callable[[WebDriver], WebElement | None]:
    """The n-th (1-based) reply in the chat log, once it is there; an error reply fails the test."""

    def condition(driver: WebDriver) -> WebElement | None:
        replies = driver.find_elements(By.CSS_SELECTOR, "#chat-log .msg-assistant, #chat-log .msg-error")
        if len(replies) < n:
            return None
        reply = replies[n - 1]
        if "msg-error" in (reply.get_attribute("class") or ""):
            raise AssertionError(f"the page shows an error instead of an answer: {text_of(reply)!r}")
        return reply

    return condition


@contextmanager
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """Debian's headless Chromium with an explicit driver path; the test is skipped where it is not installed."""
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


@contextmanager
def service_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """CITEQA_TEST_BASE_URL when set, else citeqa under uvicorn on a free loopback port (eval/server.py)."""
    external = os.environ.get("CITEQA_TEST_BASE_URL", "").strip()
    if external:
        url = external.rstrip("/")
        wait_ready(url)
        yield url
        return

    env = os.environ.copy()
    index_dir = index_dir_for(request)
    if index_dir:
        env["CITEQA_INDEX_DIR"] = index_dir
    # The page sends no API key: test it against an open service. Feedback goes to a database of the test's own,
    # read back (GET /feedback) from loopback without an admin key.
    env.pop("CITEQA_API_KEY", None)
    env.pop("CITEQA_ADMIN_KEY", None)
    env["CITEQA_FEEDBACK_DB"] = str(tmp_path_factory.mktemp("feedback") / "feedback.db")
    with running_server(tmp_path_factory.mktemp("service") / "uvicorn.log", env, READY_TIMEOUT_S) as server:
        yield server.base_url
