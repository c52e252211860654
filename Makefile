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

.PHONY: install run migrate seed-demo test test-postgres lint typecheck hadolint openapi lint-openapi bench bench-ci bench-growth clean

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
	$(BIN)/lint-imports

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

# The linters are npm packages pinned in package.json and package-lock.json (needs node and npm).
NODE_STAMP := node_modules/.installed-stamp
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

# The OpenAPI document against Redocly's `recommended` rules (redocly.yaml) and Spectral's
# `spectral:oas` (.spectral.yaml): any error or warning fails. Nothing is sent to Redocly.
lint-openapi: openapi $(NODE_STAMP)
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_NOTIFICATIONS=true \
	  node_modules/.bin/redocly lint --config redocly.yaml --max-problems 1000 openapi.json
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_NOTIFICATIONS=true \
	  node_modules/.bin/redocly lint --config redocly.yaml --format json openapi.json 2>/dev/null \
	  | $(BIN)/python -c 'import json, sys; t = json.load(sys.stdin)["totals"]; \
	    sys.exit(f"redocly: {t}: every warning counts" if t["errors"] or t["warnings"] else 0)'
	node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity warn openapi.json

# Every figure of docs/performance.md#targets: the HTTP scenarios against their ceilings (SQLite
# with 1 worker, PostgreSQL with 2), the calendar searches on both databases, then the growth
# table (`bench-growth`). About 15 minutes, most of it seeding a million sessions per database;
# `make bench GROWTH_SIZES=10000,100000` for a shorter run.
bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/run.py --db postgres --workers 2
	$(BIN)/python bench/calendar_bench.py --db sqlite
	$(BIN)/python bench/calendar_bench.py --db postgres
	$(MAKE) bench-growth

# Ten years of history (issue 12): p50s at 10,000 and 1,000,000 stored sessions on both
# databases and their ratio. Tens of minutes (seeding); not in bench-ci. GROWTH_SIZES=10000,200000
# for a shorter run.
GROWTH_SIZES ?= 10000,1000000
bench-growth: install
	$(BIN)/python bench/growth_bench.py --db sqlite,postgres --sizes $(GROWTH_SIZES)

# A short run for CI: it prints the figures and asserts nothing.
bench-ci: install
	$(BIN)/python bench/calendar_bench.py --db sqlite --runs 10
	$(BIN)/python bench/calendar_bench.py --db postgres --runs 10
	$(BIN)/python bench/run.py --seconds 2 --warmup 0.5 --only booking,booking-no-events,session-get,session-list,day-schedule

clean:
	rm -rf $(VENV) node_modules needleplan.db needleplan.db-wal needleplan.db-shm .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
