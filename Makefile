# GIL Lab. Two commands on a fresh machine:
#   make lab    set everything up and open JupyterLab on the course (ARGS="--no-browser --port 8899")
#   make test   set everything up and run every test
#   make ft-kernel / make test-ft   the same course on a free-threaded (GIL-free) Python, built once
#   make gil-kernel / make test-gil the course on the newest standard Python (3.13+, GIL on, subinterpreters)
#   make classroom / make classroom-stop   the course on a real JupyterHub on this Linux machine (root)
# Dependencies are pinned in pyproject.toml only; scripts/setup-venv.sh reinstalls when it changes.

PYTHON ?= python3
VENV ?= .venv
FT_VENV ?= .venv-ft
GIL_VENV ?= .venv-gil
ARGS ?=
PYTEST_ARGS ?=
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help setup lab lint test doctor bench ft-kernel test-ft gil-kernel test-gil exercises stress-grading classroom classroom-stop clean

help:
	@echo "make lab     set up .venv and open JupyterLab on the course (ARGS=\"--no-browser --port 8899\")"
	@echo "make test    set up .venv, run ruff, then every test (PYTEST_ARGS=... to select)"
	@echo "make lint    ruff alone, with the rules in pyproject.toml"
	@echo "make doctor  what this machine can show about the GIL"
	@echo "make bench   benchmark this machine, several minutes (ARGS=\"--quick\" for a short run); writes bench-results.json"
	@echo "make ft-kernel  build a free-threaded Python (once, cached in ~/.cache/gillab) and add its Jupyter kernel"
	@echo "make test-ft    run every test on the free-threaded Python (PYTEST_ARGS=... to select)"
	@echo "make gil-kernel build the newest standard Python, 3.13+ (once, cached in ~/.cache/gillab) and add its Jupyter kernel"
	@echo "make test-gil   the package tests and the chapters on it (PYTEST_ARGS=... to select)"
	@echo "make exercises       regenerate exercises/ from solutions/ with nbgrader (instructors)"
	@echo "make stress-grading  grade the full-mark submissions $(ROUNDS) times, here and under a 1-CPU quota"
	@echo "make classroom       JupyterHub for a class on this Linux machine, as root (ARGS=\"--port 8080 --roster students.csv\"); Ctrl-C stops it"
	@echo "make classroom-stop  stop it from another terminal: hub, proxy, every server, kernel and process of the class"
	@echo "make clean   remove .venv and generated files"

setup:
	@bash scripts/setup-venv.sh "$(PYTHON)" "$(VENV)"

lab: setup
	@echo "==> Starting JupyterLab (stop it with Ctrl-C)"
	@$(BIN)/gillab lab $(ARGS)

lint: setup
	@echo "==> ruff (rules in pyproject.toml)"
	@$(BIN)/ruff check .

test: lint
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

bench: setup
	@$(BIN)/gillab bench $(ARGS)

ft-kernel: setup
	@bash scripts/python-kernel.sh free-threaded "$(VENV)" "$(FT_VENV)"

# the same pytest collection as `make test`; GILLAB_REQUIRE_FREE_THREADED turns the free-threaded
# tests' skip into a failure, so they cannot pass here by not running
test-ft: ft-kernel
	@echo "==> Running every test on the free-threaded Python"
	GILLAB_REQUIRE_FREE_THREADED=1 GILLAB_REQUIRE_SUBINTERPRETERS=1 $(FT_VENV)/bin/python -m pytest $(PYTEST_ARGS)

gil-kernel: setup
	@bash scripts/python-kernel.sh standard "$(VENV)" "$(GIL_VENV)"

# The package tests and the chapters on the newest standard Python (3.13 or newer, GIL on), where the
# version-dependent paths run that .venv's Python cannot take: sys._is_gil_enabled(),
# os.process_cpu_count(), PYTHON_GIL, the start-method text, subinterpreters. Left out, because they
# test the instructor's host (nbgrader, the sandbox, JupyterHub, the browser), which runs from .venv
# whatever kernel a learner picks, and `make test` runs them there: the grading, problem-set,
# classroom and browser tests. GILLAB_REQUIRE_SUBINTERPRETERS turns the subinterpreter tests' skip
# into a failure, so they cannot pass here by not running.
GIL_TEST_SCOPE := -m "not browser" --ignore-glob='tests/test_grading_*' --ignore-glob='tests/test_classroom_*' \
  --ignore-glob='tests/test_problem_sets_*'
test-gil: gil-kernel
	@echo "==> Running the package tests and the chapters on the newest standard Python"
	GILLAB_REQUIRE_SUBINTERPRETERS=1 $(GIL_VENV)/bin/python -m pytest $(GIL_TEST_SCOPE) $(PYTEST_ARGS)

# The classroom (gillab classroom, README "A classroom on one machine"): needs Linux, root, node and
# npm; it says so, and what to do, where they are missing. Its Python environment is made by
# scripts/classroom-venv.sh (outside the root user's home), its proxy installed from
# deploy/local/package.json into .classroom/proxy/.
classroom: setup
	@$(BIN)/gillab classroom start $(ARGS)

classroom-stop: setup
	@$(BIN)/gillab classroom stop $(ARGS)

clean:
	rm -rf $(VENV) $(FT_VENV) $(GIL_VENV) .pytest_cache test-artifacts bench-results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
