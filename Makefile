# Everything a person does, as make targets. The venv lives in .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two installs: what the service needs (demo, serve) and, on top, the test and lint tools.
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev vendor test-vendor demo serve test test-fast lint fmt bench schema clean

## The service alone: `pip install huzhu` pulls no test tool, and neither does `make demo`.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(STAMP)

## The test and lint tools (pytest, hypothesis, schemathesis, Playwright, ruff, mypy…).
$(DEV_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[test,lint]'
	touch $(DEV_STAMP)

## axe-core for the browser tests, pinned (sha512) in tests/support/axe.py, into the
## git-ignored var/test-vendor/; no network when present
test-vendor: $(DEV_STAMP)
	$(BIN)/python -m tests.support.axe

## make vendor — front-end files from the npm registry, pinned (sha512) in
## src/huzhu/web/vendor.py, into the git-ignored static/vendor/; no network when present
vendor: $(STAMP)
	$(BIN)/python scripts/fetch_vendor.py

install: $(STAMP) vendor

install-dev: $(DEV_STAMP) vendor test-vendor

## make demo — migrate an embedded SQLite database, seed the demo, serve on $(HOST):$(PORT)
demo: install
	$(BIN)/huzhu demo --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/huzhu serve --host $(HOST) --port $(PORT)

## make test — every test (PostgreSQL/Redis tests skip with a reason when absent,
## and fail instead when HUZHU_REQUIRE_SERVICES=1, as in CI)
## Two pytest-xdist workers (CI has two cores; each test keeps its own database copy and
## server port). worksteal hands each worker half the suite in file order, so module- and
## session-scoped fixtures are built about once, then evens out the ends. Not loadfile or
## loadscope: they schedule by node id, and schemathesis' 86 tests (one per operation)
## share one under pytest 9, so all but one would silently not run. Not `-n auto`: every
## worker may run servers with pools of PostgreSQL connections at once.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist worksteal

test: install-dev
	$(BIN)/pytest -q $(PYTEST_PARALLEL)

test-fast: install-dev
	$(BIN)/pytest -q $(PYTEST_PARALLEL) -m "not slow"

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/mypy bench
	$(BIN)/lint-imports

fmt: $(DEV_STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/assist.py --quick

## make schema — regenerate migration 0001 from the models (pre-release only)
schema: $(STAMP)
	$(BIN)/python scripts/regen_schema.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
