# The two commands a newcomer needs: `make serve` and `make test`. Everything else is what they call.
VENV ?= .venv
PY := $(VENV)/bin/python
SYSTEM_PY ?= python3
APT_PACKAGES := chromium chromium-driver fonts-noto-cjk redis-server

.PHONY: setup serve test fast lint browser-deps test-deps clean

# torch is installed first and pinned: that version is the CPU build; an unpinned torch pulls a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(SYSTEM_PY) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

serve: setup
	$(VENV)/bin/citeqa serve

# Debian's Chromium and its driver for the browser test (no test tool downloads a browser of its own), the CJK
# fonts its pages are drawn with, and Debian's redis-server, which the tests marked `redis` start on a free port
# themselves (no service is enabled). Installed when any of the packages is missing (dpkg knows them all).
test-deps:
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	}
browser-deps: test-deps

# Format and lint everything; strict types on the product's packages, the usual checks on eval and tests.
lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --strict corpus index reader service citeqa_cli
	$(VENV)/bin/mypy eval tests

test: setup test-deps lint
	$(VENV)/bin/pytest

# The fast suite alone (tiny corpus, fake embedder; no model, no browser, no Milvus Lite, no Redis): the loop
# while changing code, under a minute on 2 cores. `make test` runs everything.
fast: setup
	$(VENV)/bin/pytest -m "not e2e and not milvus and not redis" -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-output
