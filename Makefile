# GIL Lab. Two commands on a fresh machine:
#   make lab    set everything up and open JupyterLab on the course (ARGS="--no-browser --port 8899")
#   make test   set everything up and run every test
# Dependencies are pinned in pyproject.toml only; scripts/setup-venv.sh reinstalls when it changes.

PYTHON ?= python3
VENV ?= .venv
ARGS ?=
PYTEST_ARGS ?=
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help setup lab test doctor clean exercises stress-grading

help:
	@echo "make lab     set up .venv and open JupyterLab on the course (ARGS=\"--no-browser --port 8899\")"
	@echo "make test    set up .venv and run every test (PYTEST_ARGS=... to select)"
	@echo "make doctor  what this machine can show about the GIL"
	@echo "make exercises       regenerate exercises/ from solutions/ with nbgrader (instructors)"
	@echo "make stress-grading  grade the full-mark submissions $(ROUNDS) times, here and under a 1-CPU quota"
	@echo "make clean   remove .venv and generated files"

setup:
	@bash scripts/setup-venv.sh "$(PYTHON)" "$(VENV)"

lab: setup
	@echo "==> Starting JupyterLab (stop it with Ctrl-C)"
	@$(BIN)/gillab lab $(ARGS)

test: setup
	@echo "==> Running every test"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every problem set in solutions/ is released into exercises/ by nbgrader itself, with the course's
# grader/nbgrader_config.py (found because it runs inside grader/) and the venv's bin on PATH.
exercises: setup
	@for assignment in $$(cd solutions && ls -d */ | tr -d /); do \
	  echo "==> nbgrader generate_assignment $$assignment"; \
	  (cd grader && PATH="$(abspath $(BIN)):$$PATH" nbgrader generate_assignment "$$assignment" --force --log-level=WARN) || exit 1; \
	done

# The grading tests of both problem sets, ROUNDS times in a row on this machine and again under a
# Binder-like 1-CPU quota (../shared/tools/binder-sim): about 10 minutes on a 2-core machine.
ROUNDS ?= 30
stress-grading: setup
	GILLAB_STRESS_ROUNDS=$(ROUNDS) $(BIN)/python -m pytest -s -p no:cacheprovider tests/stress_problem_sets.py $(PYTEST_ARGS)

doctor: setup
	@$(BIN)/gillab doctor

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts bench-results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
