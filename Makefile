# Two commands matter: `make demo` and `make test`. Everything else is a building block.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock.txt pyproject.toml | sha256sum | cut -c1-16)
DASHBOARD_PORT ?= 8050
DAGSTER_PORT ?= 3000
SQL_PATHS := models macros tests/dbt analyses

.PHONY: setup demo test test-fast lint format pytest dashboard orchestrate lock clean stop help bench \
	ci-slim

help:
	@echo "make demo   set up, generate demo data, ingest, dbt build, serve the dashboard on :$(DASHBOARD_PORT)"
	@echo "make test   set up, lint, and run the whole test suite (pytest + dbt build on a throwaway database)"
	@echo "make test-fast   lint and the tests that need no pipeline run (a few minutes)"
	@echo "make bench [SCALE=orders]   benchmarks; writes docs/benchmarks/latest.{json,md}"
	@echo "make ci-slim [PR=n]   the pull request's slim CI, locally (docs/pull-requests.md)"
	@echo "make orchestrate   Dagster's webserver and daemon on :$(DAGSTER_PORT) (docs/orchestration.md)"
	@echo "make lint | format | dashboard | stop | lock | clean"

setup: $(STAMP)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing pinned dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock.txt
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
		--config-settings editable_mode=compat -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: setup
	$(BIN)/dataops run
	$(BIN)/dataops dashboard --port $(DASHBOARD_PORT)

dashboard: setup
	$(BIN)/dataops dashboard --port $(DASHBOARD_PORT)

orchestrate: setup
	$(BIN)/dataops orchestrate --port $(DAGSTER_PORT)

stop: setup
	$(BIN)/dataops db stop

lint: setup
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint $(SQL_PATHS)
	$(BIN)/dataops conventions
	$(BIN)/yamllint --format parsable .
	$(BIN)/detect-secrets-hook --baseline .secrets.baseline $$(git ls-files)
	$(BIN)/zizmor --offline --quiet --persona pedantic --config .github/zizmor.yml .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --schemafile .github/workflow-policy.json .github/workflows/*.yml

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix $(SQL_PATHS)

pytest: setup
	$(BIN)/python -m pytest

test: lint pytest

# The quick tier while working: lint and every test not marked slow (tests/python/conftest.py).
test-fast: lint
	$(BIN)/python -m pytest -m "not slow"

# A pull request's slim CI, the same steps as .github/workflows/ci.yml (docs/pull-requests.md).
PR ?= local
ci-slim: setup
	$(BIN)/dataops ci run --pr $(PR)

# Benchmarks (not part of `make test`): ratios against anchors of the same run.
SCALE ?= 1000000
bench: setup
	$(BIN)/python -m bench.run --scale $(SCALE)

# Re-pin every dependency (needs the package index); commit the result.
lock:
	$(PYTHON) -m venv /tmp/dataops-lock && /tmp/dataops-lock/bin/pip install --quiet pip-tools
	/tmp/dataops-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --strip-extras --extra dev -o requirements.lock.txt pyproject.toml

clean:
	rm -rf target logs .pytest_cache .ruff_cache
