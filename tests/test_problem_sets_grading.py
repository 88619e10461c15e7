"""nbgrader autogrades every submission fixture as expected: each cell's score, and the words its
failure message must contain. Grading runs only in temporary copies of the course."""

from __future__ import annotations

import nbformat
import pytest
from support.problem_set_course import (
    ASSIGNMENTS,
    FIXTURES,
    REPO,
    expected,
    failure_report,
    grade_all,
    grader_snapshot,
    mismatches,
    validate,
)
from support.skips import import_server_side

# nbgrader runs from this Python's venv; the free-threaded one has none, and
# tests/test_free_threaded_problem_sets.py grades on the free-threaded kernel from .venv instead
import_server_side("nbgrader")

CASES = [(assignment, case) for assignment in ASSIGNMENTS for case in expected(assignment)["cases"]]


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "case"), CASES, ids=[f"{a}/{c}" for a, c in CASES])
def test_each_submission_gets_its_expected_scores(assignment, case, graded_submissions):
    grading = graded_submissions[0][assignment]
    spec = expected(assignment)["cases"][case]
    assert case in grading.scores, f"{case} was not graded at all:\n{grading.log[-3000:]}"
    # plain nbgrader: the tampering cases fool it (tests/test_grading_problem_sets.py grades them with gillab grade)
    wrong = mismatches(spec["plain_nbgrader_scores"], grading.scores[case])
    assert not wrong, f"{assignment}/{case} ({spec['about']}): {'; '.join(wrong)}\n" + failure_report(
        grading.course_of(case), assignment, case
    )


# a tampering case's message comes from gillab grade's witness, which plain nbgrader has not
MESSAGES = [
    (a, c) for a, c in CASES if expected(a)["cases"][c]["says"] and expected(a)["cases"][c]["status"] == "graded"
]


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "case"), MESSAGES, ids=[f"{a}/{c}" for a, c in MESSAGES])
def test_failure_messages_teach(assignment, case, graded_submissions):
    grading = graded_submissions[0][assignment]
    notebook = (
        grading.course_of(case) / "grader" / "autograded" / case / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
    )
    errors = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors[cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id"))] = (
                    f"{output['ename']}: {output['evalue']}"
                )
    for grade_id, words in expected(assignment)["cases"][case]["says"].items():
        assert words in errors.get(grade_id, ""), (
            f"{grade_id} said {errors.get(grade_id)!r}, expected it to say {words!r}"
        )
        assert errors[grade_id].startswith("GradingFailure"), errors[grade_id]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_and_untouched_exercise_zero(assignment, graded_submissions):
    grading, points = graded_submissions[0][assignment], expected(assignment)["autograded_points"]
    assert sum(grading.scores["solution"][grade_id] for grade_id in points) == sum(points.values())
    untouched = grading.scores["untouched"]
    assert all(untouched[grade_id] == 0 for grade_id in points)
    autograded = grading.course_of("untouched") / "grader" / "autograded" / "untouched" / assignment
    assert (autograded / f"{ASSIGNMENTS[assignment]}.ipynb").is_file()  # graded, not crashed


@pytest.mark.slow
def test_grading_leaves_the_repository_grader_folder_alone(graded_submissions):
    assert grader_snapshot() == graded_submissions[1]  # no gradebook, submission or feedback written there


@pytest.mark.slow
def test_solutions_get_full_marks_under_a_one_cpu_quota(released_course, tmp_path, binder_sim):
    plans = {assignment: {"solution": FIXTURES / assignment / "solution.ipynb"} for assignment in ASSIGNMENTS}
    graded = grade_all(released_course, tmp_path, plans, prefix=(binder_sim, "--cpus", "1", "--"))
    for assignment, grading in graded.items():
        wrong = mismatches(expected(assignment)["cases"]["solution"]["scores"], grading.scores["solution"])
        assert not wrong, f"{assignment} under 1 CPU: {wrong}\n" + failure_report(
            grading.course, assignment, "solution"
        )


@pytest.mark.slow
def test_validate_button_works_on_the_student_notebooks(tmp_path):
    """JupyterLab's Validate runs nbgrader's Validator; on a student's machine there is no course
    config, so nbgrader's defaults apply (30 s per cell)."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    batches = []  # one Python per problem set, both at once: each validation runs its notebook
    for assignment, notebook in ASSIGNMENTS.items():
        folder = tmp_path / assignment
        folder.mkdir()
        sources = [
            ("exercise", REPO / "exercises" / assignment / f"{notebook}.ipynb"),
            ("solution", FIXTURES / assignment / "solution.ipynb"),
        ]
        if assignment == "ps1_parallel_sum":
            sources.append(("serial_loop", FIXTURES / assignment / "serial_loop.ipynb"))
        batches.append((folder, [shutil.copy(path, folder / f"{name}.ipynb") for name, path in sources]))
    with ThreadPoolExecutor(len(batches)) as pool:
        results = {}
        for found in pool.map(lambda batch: validate(batch[1], cwd=batch[0]), batches):
            results.update(found)
    for assignment in ASSIGNMENTS:
        assert results[str(tmp_path / assignment / "solution.ipynb")] == {}, "the solution should validate cleanly"
        failed = results[str(tmp_path / assignment / "exercise.ipynb")]["failed"]
        assert failed and all(
            "NotImplementedError" in cell["raw_error"] or "did not provide a response" in cell["raw_error"]
            for cell in failed
        )
    serial = results[str(tmp_path / "ps1_parallel_sum" / "serial_loop.ipynb")]["failed"]
    assert [cell["raw_error"] for cell in serial if "on the notebook's own thread" in cell["raw_error"]]
