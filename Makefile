# GIL Lab. Two commands on a fresh machine:
#   make lab    set everything up and open JupyterLab on the course (ARGS="--no-browser --port 8899")
#   make test   set everything up and run every test
#   make ft-kernel / make test-ft   the same course on a free-threaded (GIL-free) Python, built once
# Dependencies are pinned in pyproject.toml only; scripts/setup-venv.sh reinstalls when it changes.

PYTHON ?= python3
VENV ?= .venv
FT_VENV ?= .venv-ft
ARGS ?=
PYTEST_ARGS ?=
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help setup lab test doctor bench ft-kernel test-ft clean

help:
	@echo "make lab     set up .venv and open JupyterLab on the course (ARGS=\"--no-browser --port 8899\")"
	@echo "make test    set up .venv and run every test (PYTEST_ARGS=... to select)"
	@echo "make doctor  what this machine can show about the GIL"
	@echo "make bench   benchmark this machine, several minutes (ARGS=\"--quick\" for a short run); writes bench-results.json"
	@echo "make ft-kernel  build a free-threaded Python (once, cached in ~/.cache/gillab) and add its Jupyter kernel"
	@echo "make test-ft    run every test on the free-threaded Python (PYTEST_ARGS=... to select)"
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

ft-kernel: setup
	@bash scripts/ft-kernel.sh "$(VENV)" "$(FT_VENV)"

# the same pytest collection as `make test`; GILLAB_REQUIRE_FREE_THREADED turns the free-threaded
# tests' skip into a failure, so they cannot pass here by not running
test-ft: ft-kernel
	@echo "==> Running every test on the free-threaded Python"
	GILLAB_REQUIRE_FREE_THREADED=1 $(FT_VENV)/bin/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(FT_VENV) .pytest_cache test-artifacts bench-results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
