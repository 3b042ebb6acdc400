# Two entry points a fresh machine needs: `make run` and `make test`.
# Both create .venv and install the project (with test tools) on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check format bench screenshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/position-planner $(PLAN)

test: $(STAMP)
	$(BIN)/python -m pytest

# Lint, format, types and import layers; .ci/run runs this before the tests.
check: $(STAMP)
	$(BIN)/ruff check planner ui tests benchmarks packaging/*.py
	$(BIN)/ruff format --check planner ui tests benchmarks packaging/*.py
	$(BIN)/mypy planner ui
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix planner ui tests benchmarks packaging/*.py
	$(BIN)/ruff format planner ui tests benchmarks packaging/*.py

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	-$(BIN)/python benchmarks/ui_latency.py
	-$(BIN)/python benchmarks/drills.py

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/position-planner --screenshot docs/screenshot.png

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
