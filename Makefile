# boxoffice: `make run` serves the demo, `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test screenshots faults faults-full bench-lines soak lint typecheck check lock clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "boxoffice needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/boxoffice migrate
	$(BIN)/boxoffice demo
	$(BIN)/boxoffice serve --host $(HOST) --port $(PORT)

test: install
	@scripts/ensure-chromium
	$(BIN)/pytest

# The web client's screenshots in docs/screenshots, taken afresh by the browser tests (a plain
# `make test` writes them to a scratch folder: tests never rewrite tracked files).
screenshots: install
	@scripts/ensure-chromium
	BOXOFFICE_TEST_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/browser

# The fault suite (tests/faults): instances on a PostgreSQL and a Redis of its own, Debian's nginx
# in front of them (and Chromium on the fans' page), faults injected mid-sale. `faults` runs the
# fast scenarios (CI), `faults-full` the slow ones too; each scenario's figures go to
# bench-results/faults/ and their summary lines are printed at the end, pass or fail.
faults: install
	@scripts/ensure-nginx
	@scripts/ensure-chromium
	@rm -rf bench-results/faults
	$(BIN)/pytest tests/faults -m "faults and not slow"; status=$$?; \
		cat bench-results/faults/*.txt 2>/dev/null; exit $$status

# Many sales at once (issue 17): two busy lines and a quiet one, about 2 min (scripts/bench-lines).
bench-lines: install
	scripts/bench-lines

faults-full: install
	@scripts/ensure-nginx
	@scripts/ensure-chromium
	@rm -rf bench-results/faults
	$(BIN)/pytest tests/faults -m faults; status=$$?; \
		cat bench-results/faults/*.txt 2>/dev/null; exit $$status

# The soak (not in CI): a steady mixed load for MINUTES on a PostgreSQL and Redis of its own;
# fails on 10 % growth of any process's RSS, open files or connections after warm-up, or any 5xx.
# Results in bench-results/soak/; docs/operations.md keeps the last 30-minute run's figures.
MINUTES ?= 30
soak: install
	scripts/soak --minutes $(MINUTES)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy src

check: lint typecheck test

# Re-pin every dependency (with hashes) after changing pyproject.toml.
lock: install
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		-o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
