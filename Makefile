# The targets the README and CI use. Needs only python3 (3.11+), make and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# `make run HOST=0.0.0.0 PORT=8080` serves elsewhere.
HOST ?= 127.0.0.1
PORT ?= 8000
export NEEDLEPLAN_DATABASE_URL ?= sqlite:///./needleplan.db

.PHONY: install run migrate seed-demo test test-postgres lint typecheck hadolint openapi bench bench-ci clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("needleplan needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/needleplan migrate

seed-demo: migrate
	$(BIN)/needleplan seed-demo

run: seed-demo
	$(BIN)/needleplan serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench alembic
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

hadolint: install
	$(BIN)/hadolint Dockerfile

test: install lint typecheck hadolint
	env -u NEEDLEPLAN_DATABASE_URL $(BIN)/pytest

test-postgres: install
	env -u NEEDLEPLAN_DATABASE_URL NEEDLEPLAN_TEST_DATABASE_URL=$(PG_ADMIN_URL) $(BIN)/pytest

openapi: install
	$(BIN)/needleplan openapi openapi.json

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/calendar_bench.py --db sqlite
	$(BIN)/python bench/calendar_bench.py --db postgres

# A short run for CI: it prints the figures and asserts nothing.
bench-ci: install
	$(BIN)/python bench/calendar_bench.py --db sqlite --runs 10
	$(BIN)/python bench/calendar_bench.py --db postgres --runs 10
	$(BIN)/python bench/run.py --seconds 2 --warmup 0.5 --only booking,day-schedule

clean:
	rm -rf $(VENV) needleplan.db needleplan.db-wal needleplan.db-shm .pytest_cache .mypy_cache .ruff_cache
