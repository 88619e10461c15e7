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
.PHONY: help setup lab test doctor bench clean

help:
	@echo "make lab     set up .venv and open JupyterLab on the course (ARGS=\"--no-browser --port 8899\")"
	@echo "make test    set up .venv and run every test (PYTEST_ARGS=... to select)"
	@echo "make doctor  what this machine can show about the GIL"
	@echo "make bench   benchmark this machine, several minutes (ARGS=\"--quick\" for a short run); writes bench-results.json"
	@echo "make clean   remove .venv and generated files"

setup:
	@bash scripts/setup-venv.sh "$(PYTHON)" "$(VENV)"

lab: setup
	@echo "==> Starting JupyterLab (stop it with Ctrl-C)"
	@$(BIN)/gillab lab $(ARGS)

test: setup
	@echo "==> Running every test"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

doctor: setup
	@$(BIN)/gillab doctor

bench: setup
	@$(BIN)/gillab bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts bench-results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
