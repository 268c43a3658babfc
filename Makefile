# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format bench bench-contracts clean

# `make run` installs what the service needs; `make test` adds the test tools.
RUN_STAMP := $(VENV)/.run-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.run-*
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/mops serve --dev

# Two test processes, each taking whole files (module fixtures stay in one process): the
# suite took 21 min in one, 14 in two, on 2 cores. More would crowd PostgreSQL's 100
# connections, which other runs share.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/commands.py

bench-contracts: $(STAMP)
	$(BIN)/python bench/contracts.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
