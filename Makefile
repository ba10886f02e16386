# The two commands of the Quick start: `make demo` and `make test`.
# A fresh machine needs only Python 3.11+, git and make: uv is installed into
# .tools/ from PyPI, then uv builds .venv from uv.lock.

PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo test lint typecheck unit mutation screenshots clean help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check 'uv>=0.5,<1'

$(VENV)/.installed: $(UV) pyproject.toml uv.lock core/pyproject.toml sdk/pyproject.toml $(wildcard connectors/*/pyproject.toml)
	$(UV) sync --all-packages --python $(PYTHON) --frozen
	@touch $@

install: $(VENV)/.installed ## Create .venv with the hub, the SDK, every connector and the dev tools

demo: install ## Replay recorded traffic through the connectors (no credentials, no network)
	$(BIN)/handoff demo

lint: install ## ruff, with the rule sets chosen in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check core sdk

typecheck: install ## mypy --strict on core/ and sdk/
	$(BIN)/mypy core/src sdk/src

unit: install ## the whole test suite
	$(BIN)/pytest -q

test: lint typecheck unit ## install, lint, type-check, test

mutation: install ## Mutation testing of the security and exactly-once modules (slow; not in `make test`)
	nice -n 10 $(BIN)/python mutation/run.py $(TARGETS)

screenshots: install ## The console's screenshots in docs/console/ (headless Chromium: /usr/bin/chromium)
	$(BIN)/python tests/console/screenshots.py docs/console

clean: ## Remove the environments and caches
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
