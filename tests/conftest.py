"""Shared fixtures: the real index (built once, cached between runs) and the real app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from service.settings import Settings

if TYPE_CHECKING:
    from selenium import webdriver

# Tests never reach a model hub; a mistake fails loudly instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _test_index_dir() -> Path:
    return Path(os.environ.get("CITEQA_TEST_INDEX_DIR", Settings().cache_dir.parent / "test-index"))


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    """Settings on the embedded model and the real document, with an index kept for the test suite only."""
    return Settings(index_dir=_test_index_dir(), api_key=None, cors_origins=[])


@pytest.fixture(scope="session")
def index_dir(real_settings: Settings) -> Path:
    """The real index, built on first use and reused while corpus, model and code format are unchanged."""
    from index.open import build, index_is_current

    if not index_is_current(real_settings.index_config):
        build(real_settings.index_config, progress=False)
    return real_settings.index_dir


@pytest.fixture(scope="session")
def real_client(real_settings: Settings, index_dir: Path) -> Iterator[TestClient]:
    from service.app import create_app

    with TestClient(create_app(real_settings)) as client:
        yield client


# The fast API tests (test_api_fast, test_api_errors, test_api_chat): the tiny index and the app on it, built once
# per module. A module that wants other settings defines its own `settings`.
@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from tests.tiny import build_tiny_index

    return build_tiny_index(tmp_path_factory.mktemp("tiny") / "index")


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    from tests.tiny import tiny_client

    with tiny_client(settings) as c:
        yield c


# The browser tests (test_browser, test_browser_daily): Chromium and the service it drives, once per module.
@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    from tests.browser_page import chromium

    with chromium(tmp_path_factory) as drv:
        yield drv


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.browser_page import service_url

    with service_url(request, tmp_path_factory) as url:
        yield url
