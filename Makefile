# Everything a person does, as make targets. The venv lives in .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo serve test test-fast lint fmt bench schema clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,lint]'
	touch $(STAMP)

install: $(STAMP)

## make demo — migrate an embedded SQLite database, seed the demo, serve on $(HOST):$(PORT)
demo: $(STAMP)
	$(BIN)/huzhu demo --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(BIN)/huzhu serve --host $(HOST) --port $(PORT)

## make test — every test (PostgreSQL/Redis tests skip with a reason when absent,
## and fail instead when HUZHU_REQUIRE_SERVICES=1, as in CI)
test: $(STAMP)
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/assist.py --quick

## make schema — regenerate migration 0001 from the models (pre-release only)
schema: $(STAMP)
	$(BIN)/python scripts/regen_schema.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
