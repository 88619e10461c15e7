"""The problem sets on the free-threaded kernel (`make test-ft`): nbgrader grades every submission
fixture of both problem sets on it with the scores expected on the standard kernel, and problem set
1's ``threaded_sum`` (the solution's, and a ThreadPoolExecutor variant's) runs its two chunks on two
threads that compute at the same instant there (tests/support/simultaneity.py).

nbgrader cannot be installed in the free-threaded venv on Python 3.13 (pyproject.toml's
free-threaded-overrides), and does not need to be: like an instructor, tests/support/grade_on_kernel.py runs
it from the course's .venv, in a temporary course copy whose config names the free-threaded kernel.
Every kernel it starts records which interpreter it is, so the test knows the grading really ran
there with the GIL off.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import nbformat
import pytest
from support.ft_kernel import (
    FT_VENV,
    KERNEL_NAME,
    MAIN_VENV,
    kernel_environment,
    require_registered_kernel,
    start_registered_kernel,
)
from support.paths import REPO
from support.problem_set_course import ASSIGNMENTS, FIXTURES, NBGRADER_TIMEOUT_S, expected, failure_report, mismatches
from support.simultaneity import PRINT_SPANS, prove_simultaneous, spans_from_json
from support.skips import skip_or_fail_without_free_threading

from gillab.machine.cpus import effective_cpu_count
from gillab.machine.interpreter import free_threaded_build

CASES = [(assignment, case) for assignment in ASSIGNMENTS for case in expected(assignment)["cases"]]
#: Per thread: 2 million numbers in 200 slices, as in tests/test_free_threaded.py.
PROOF_N, SLICES = 4_000_000, 200


def full_marks(assignment: str) -> float:
    return sum(expected(assignment)["autograded_points"].values())


def require_free_threaded_tests() -> None:
    if not free_threaded_build():
        skip_or_fail_without_free_threading(
            "the problem sets are graded on the free-threaded kernel under `make test-ft` (make test grades them "
            "on the standard kernel: tests/test_problem_sets_grading.py)"
        )
    require_registered_kernel()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every submission fixture autograded by nbgrader (from .venv) on the free-threaded kernel."""
    require_free_threaded_tests()
    folder = tmp_path_factory.mktemp("ft-grading")
    done = subprocess.run(
        [
            str(MAIN_VENV / "bin" / "python"),
            "-m",
            "support.grade_on_kernel",
            KERNEL_NAME,
            str(folder),
            *ASSIGNMENTS,
        ],
        cwd=REPO / "tests",  # where the support package is
        env=kernel_environment(),
        capture_output=True,
        text=True,
        timeout=NBGRADER_TIMEOUT_S,
    )
    assert done.returncode == 0, f"grading on {KERNEL_NAME} failed:\n{done.stdout[-2000:]}\n{done.stderr[-5000:]}"
    return json.loads((folder / "grading.json").read_text())


def test_nbgrader_graded_every_submission_on_the_free_threaded_interpreter_with_the_gil_off(graded):
    kernels = graded["kernels"]
    # each kernel ran in grader/autograded/<student>/<assignment>
    graded_notebooks = {(Path(kernel["cwd"]).name, Path(kernel["cwd"]).parent.name) for kernel in kernels}
    assert graded_notebooks >= set(CASES), f"no kernel started for {sorted(set(CASES) - graded_notebooks)}"
    for kernel in kernels:
        assert Path(kernel["prefix"]).resolve() == FT_VENV.resolve(), kernel
        assert kernel["free_threaded_build"] is True and kernel["gil_enabled"] is False, kernel
    versions = {
        info.get("version") for assignment in ASSIGNMENTS for info in graded[assignment]["language_info"].values()
    }
    assert versions == {platform.python_version()}


@pytest.mark.parametrize(("assignment", "case"), CASES, ids=[f"{a}/{c}" for a, c in CASES])
def test_each_submission_gets_its_expected_scores_on_the_free_threaded_kernel(graded, assignment, case):
    spec, grading = expected(assignment)["cases"][case], graded[assignment]
    assert case in grading["scores"], f"{case} was not graded at all (see {grading['autograded'][case]})"
    wrong = mismatches(spec["plain_nbgrader_scores"], grading["scores"][case])
    autograded = Path(grading["autograded"][case])
    assert not wrong, f"{assignment}/{case} ({spec['about']}) on {KERNEL_NAME}: {'; '.join(wrong)}\n" + failure_report(
        autograded.parents[4], assignment, case
    )
    errors = {}
    for cell in nbformat.read(autograded, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors[cell.metadata.get("nbgrader", {}).get("grade_id")] = f"{output['ename']}: {output['evalue']}"
    # a tampering case's message comes from gillab grade's witness, which plain nbgrader has not
    for grade_id, words in spec["says"].items() if spec["status"] == "graded" else ():
        assert words in errors.get(grade_id, ""), (
            f"{grade_id} said {errors.get(grade_id)!r}, expected it to say {words!r}"
        )
        assert errors[grade_id].startswith("GradingFailure"), errors[grade_id]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_and_the_legitimate_variants_get_full_marks(graded, assignment):
    cases = expected(assignment)["cases"]
    # the solution and the legitimate variants: the cases expected to get full marks (on any kernel)
    legitimate = [case for case, spec in cases.items() if spec["total"] == full_marks(assignment)]
    assert "solution" in legitimate and len(legitimate) > 1
    totals = {case: sum(score or 0 for score in graded[assignment]["scores"][case].values()) for case in legitimate}
    assert totals == {case: full_marks(assignment) for case in legitimate}


# --- the solution's threaded_sum, in the free-threaded kernel ----------------------------------------
RECORD_SPANS = """
import gillab.measure.runners as _runners
_course_count_sum, _spans = count_sum, []


def count_sum(lo, hi):  # what threaded_sum calls: the course's count_sum, recording each chunk's span
    value, span = _runners.traced_chunk(_course_count_sum, lo, hi, n_ticks={slices}, kind="thread")
    _spans.append(span)
    return value
"""
RUN_ONCE = "_spans.clear()\nassert threaded_sum({n}, 2) == {total}\n" + PRINT_SPANS.format(spans="_spans")


@pytest.mark.parametrize("case", ["solution", "threadpool"])
def test_threaded_sum_computes_its_two_chunks_at_the_same_instant_on_the_free_threaded_kernel(case):
    require_free_threaded_tests()
    if effective_cpu_count() < 2:
        pytest.skip(f"only {effective_cpu_count()} CPU is available: two threads cannot run at the same instant here")
    notebook = nbformat.read(FIXTURES / "ps1_parallel_sum" / f"{case}.ipynb", as_version=4)
    # the student's code as nbgrader runs it, without the test cells (NBGRADER_EXECUTION skips the measurement)
    code = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade", False)
    ]
    kernel = start_registered_kernel(cwd=FIXTURES / "ps1_parallel_sum", NBGRADER_EXECUTION="autograde")
    try:
        for source in code:
            kernel.run(source)
        assert kernel.run("import sys; print(sys._is_gil_enabled())") == "False"
        kernel.run(RECORD_SPANS.format(slices=SLICES))
        prove_simultaneous(
            lambda: spans_from_json(kernel.run(RUN_ONCE.format(n=PROOF_N, total=PROOF_N * (PROOF_N + 1) // 2))),
            f"{case}'s threaded_sum({PROOF_N:,}, 2) on {KERNEL_NAME}",
        )
    finally:
        kernel.shutdown()


# --- gillab grade (sandbox and witness) on the free-threaded kernel ------------------------------------
@pytest.fixture(scope="module")
def graded_by_gillab(tmp_path_factory):
    """The legitimate fixtures of both problem sets graded by `gillab grade autograde` (run from .venv,
    sandboxed, with the witness) in course copies whose config names the free-threaded kernel."""
    import support.grading_corpus as corpus

    from gillab.grading.outcome import load_outcomes
    from gillab.grading.submissions import write_submission

    require_free_threaded_tests()
    gillab = [str(MAIN_VENV / "bin" / "python"), "-m", "gillab", "grade"]
    results = {}
    for assignment, under_test in {"ps1_parallel_sum": corpus.PS1, "ps2_io_threads": corpus.PS2}.items():
        course = corpus.make_course(tmp_path_factory.mktemp(f"ft-{assignment}"), under_test)
        with open(course / "grader" / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.Execute.kernel_name = {KERNEL_NAME!r}\n")
        subprocess.run([*gillab, "release", assignment, "--course", str(course)], check=True, capture_output=True,
                       env=kernel_environment(), timeout=600)
        legitimate = [case for case, spec in expected(assignment)["cases"].items()
                      if spec["total"] == full_marks(assignment) and spec["status"] == "graded"]
        for case in legitimate:
            notebook = nbformat.read(FIXTURES / assignment / f"{case}.ipynb", as_version=4)
            write_submission(course / "grader" / "submitted", case, assignment, ASSIGNMENTS[assignment], notebook)
        done = subprocess.run([*gillab, "autograde", assignment, "--jobs", "2", "--course", str(course)],
                              capture_output=True, text=True, env=kernel_environment(), timeout=NBGRADER_TIMEOUT_S)
        results[assignment] = (course, legitimate, load_outcomes(course / "grader" / "outcomes", assignment), done)
    return results


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_gillab_grade_gives_every_legitimate_variant_full_marks_on_the_free_threaded_kernel(graded_by_gillab,
                                                                                           assignment):
    course, legitimate, outcomes, done = graded_by_gillab[assignment]
    assert len(legitimate) > 1 and set(outcomes) == set(legitimate), done.stderr[-3000:]
    for case in legitimate:
        outcome = outcomes[case]
        assert outcome.status == "graded" and outcome.score == full_marks(assignment), (case, outcome.summary())
        autograded = course / "grader" / "autograded" / case / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
        evidence = nbformat.read(autograded, as_version=4).metadata["gillab_grading"]["evidence"]
        assert evidence and all(entry["passed"] for entries in evidence.values() for entry in entries), case
