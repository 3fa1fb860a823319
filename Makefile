# The commands people type. Everything runs from the project's own virtual environment.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-postgres lint typecheck check bench clean

$(BIN)/comments: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/comments

demo: install
	$(BIN)/comments demo

test: install
	$(BIN)/pytest

test-postgres: install
	COMMENTS_TEST_DATABASE_URL=$${COMMENTS_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/comments_test} $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

# Load benchmarks against Isso and a hello world (about 40 minutes); ARGS="--quick" for a smoke run.
bench: install
	$(BIN)/python -c 'import matplotlib' 2>/dev/null || $(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
