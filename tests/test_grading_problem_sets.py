"""Every submission fixture of both problem sets, old and tampering, graded by `gillab grade
autograde --jobs 2` in a sandbox with the witness: each cell's score, each status, the words each
failure says; then the instructor's review of the ones that need it, and what the export, the report
and the student's feedback say about them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import support.grading_corpus as corpus
from support.paths import REPO
from support.problem_set_course import ASSIGNMENTS, FIXTURES, expected, mismatches, read_scores
from support.skips import import_server_side

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these).
# Before the imports below: gillab.grading.execute itself imports nbgrader.
import_server_side("nbgrader")

from gillab.grading.execute import WITHHELD  # noqa: E402 (after the skip above, which must run first)
from gillab.grading.outcome import load_outcomes  # noqa: E402 (same reason)
from gillab.grading.submissions import write_submission  # noqa: E402 (same reason)
from gillab.grading.tamper_scan import REVIEW_MESSAGE  # noqa: E402 (same reason)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("bubblewrap")]
UNDER_TEST = {"ps1_parallel_sum": corpus.PS1, "ps2_io_threads": corpus.PS2}
CASES = [(assignment, case) for assignment in ASSIGNMENTS for case in expected(assignment)["cases"]]


def gillab(*args, course: Path, timeout=1800):
    return subprocess.run([sys.executable, "-m", "gillab", "grade", *args, "--course", str(course)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Each problem set released in a course of its own, every fixture submitted and autograded."""
    runs = {}
    for assignment, under_test in UNDER_TEST.items():
        course = corpus.released_course(tmp_path_factory.mktemp(assignment), under_test)
        for case in expected(assignment)["cases"]:
            notebook = nbformat.read(FIXTURES / assignment / f"{case}.ipynb", as_version=4)
            write_submission(course / "grader" / "submitted", case, assignment, ASSIGNMENTS[assignment], notebook)
        run = gillab("autograde", assignment, "--jobs", "2", course=course)
        runs[assignment] = {"course": course, "run": run, "scores": read_scores(course, assignment),
                            "outcomes": load_outcomes(course / "grader" / "outcomes", assignment)}
    return runs


def errors_of(course: Path, assignment: str, case: str) -> dict[str, str]:
    path = course / "grader" / "autograded" / case / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
    errors = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                errors[grade_id] = errors.get(grade_id, "") + f" | {output['ename']}: {output['evalue']}"
    return errors


@pytest.mark.parametrize(("assignment", "case"), CASES, ids=[f"{a}/{c}" for a, c in CASES])
def test_each_submission_gets_its_expected_scores_and_status(graded, assignment, case):
    spec, grading = expected(assignment)["cases"][case], graded[assignment]
    outcome = grading["outcomes"].get(case)
    assert outcome is not None, f"{case} has no outcome:\n{grading['run'].stderr[-3000:]}"
    assert outcome.status == spec["status"], f"{case} ({spec['about']}): {outcome.summary()}"
    # a held submission scores zero on its witnessed tests until the review; so does a cheat
    scores = dict(spec["scores"])
    if spec["status"] == "needs review":
        scores.update({grade_id: 0 for grade_id in evidence_cells(assignment)})
    wrong = mismatches(scores, grading["scores"][case])
    assert not wrong, f"{assignment}/{case} ({spec['about']}): {'; '.join(wrong)}; {outcome.summary()}"
    errors = errors_of(grading["course"], assignment, case)
    for grade_id, words in spec["says"].items():
        assert words in errors.get(grade_id, ""), f"{grade_id} said {errors.get(grade_id)!r}, expected {words!r}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_tampering_case_gets_full_marks_unflagged_and_every_flag_says_where(graded, assignment):
    cases, full = expected(assignment)["cases"], sum(expected(assignment)["autograded_points"].values())
    for case, spec in cases.items():
        outcome = graded[assignment]["outcomes"][case]
        if spec["status"] == "needs review":
            assert outcome.reason.startswith(REVIEW_MESSAGE), outcome.reason
            assert outcome.findings and all(", line " in finding for finding in outcome.findings)
            assert set(outcome.withheld) == set(evidence_cells(assignment))
        if outcome.status == "graded":
            honest = spec["total"] == full and not spec.get("fools_nbgrader")
            scores = graded[assignment]["scores"][case]
            got = sum(scores[grade_id] for grade_id in expected(assignment)["autograded_points"])
            assert honest or got < full, case


def evidence_cells(assignment: str) -> set[str]:
    source = nbformat.read(REPO / "solutions" / assignment / f"{ASSIGNMENTS[assignment]}.ipynb", as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"] for cell in source.cells if "gillab" in cell.metadata}


def test_the_kernel_and_the_witness_disagree_only_on_changed_instruments(graded):
    for assignment in ASSIGNMENTS:
        for case, outcome in graded[assignment]["outcomes"].items():
            if outcome.disagreements:
                assert expected(assignment)["cases"][case]["status"] == "needs review", (case, outcome.disagreements)
    patched = graded["ps1_parallel_sum"]["outcomes"]["patch_check_method"]
    assert any("the test in the notebook passed, but the grader's own check found" in text
               for text in patched.disagreements)


def test_export_report_and_feedback_say_needs_review_with_cell_and_line(graded):
    course = graded["ps1_parallel_sum"]["course"]
    exported = gillab("export", "--csv", "-", course=course)
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    held = rows["patch_check_method"]
    assert held["status"] == "needs review" and REVIEW_MESSAGE in held["reason"] and ", line " in held["notes"]
    assert gillab("report", "ps1_parallel_sum", course=course).returncode == 0
    report = (course / "grader" / "reports" / "ps1_parallel_sum" / "report.html").read_text()
    assert "patch_check_method" in report and "needs review" in report
    assert gillab("feedback", "ps1_parallel_sum", "--student", "patch_check_method", course=course).returncode == 0
    page = next((course / "grader" / "feedback" / "patch_check_method" / "ps1_parallel_sum").glob("*.html")).read_text()
    assert REVIEW_MESSAGE.replace("'", "&#39;") in page or REVIEW_MESSAGE in page


def test_review_lists_held_submissions_then_clearing_gives_the_withheld_points(graded):
    course, assignment = graded["ps1_parallel_sum"]["course"], "ps1_parallel_sum"
    listed = gillab("review", assignment, course=course)
    assert listed.returncode == 0 and "patch_at_call_time:" in listed.stdout and ", line " in listed.stdout
    before = graded[assignment]["outcomes"]["patch_at_call_time"]
    # its process_sum is the honest solution: the witness saw it pass, so clearing gives its points
    assert before.withheld == {"threaded_sum_on_threads": 0.0, "process_sum_in_processes": 3.0}
    cleared = gillab("review", assignment, "--student", "patch_at_call_time", "--clear", "a test the student wrote",
                     course=course)
    assert cleared.returncode == 0, cleared.stderr
    after = load_outcomes(course / "grader" / "outcomes", assignment)["patch_at_call_time"]
    assert after.status == "graded" and after.review["decision"] == "clear"
    assert after.score == before.score + 3
    assert read_scores(course, assignment)["patch_at_call_time"]["process_sum_in_processes"] == 3
    again = gillab("review", assignment, "--student", "patch_at_call_time", "--clear", "twice", course=course)
    assert again.returncode == 2 and "does not need review" in again.stderr


def test_upholding_keeps_zero_and_says_so_in_the_feedback(graded):
    course, assignment = graded["ps1_parallel_sum"]["course"], "ps1_parallel_sum"
    upheld = gillab("review", assignment, "--student", "forged_records", "--uphold", "forged the probe's records",
                    course=course)
    assert upheld.returncode == 0, upheld.stderr
    after = load_outcomes(course / "grader" / "outcomes", assignment)["forged_records"]
    assert after.status == "graded" and all(points == 0 for points in after.review["points"].values())
    path = course / "grader" / "autograded" / "forged_records" / assignment / "parallel_sum.ipynb"
    outputs = [o for cell in nbformat.read(path, as_version=4).cells for o in cell.get("outputs", [])]
    assert any(o.get("ename") == WITHHELD and "tampering confirmed" in o["evalue"] for o in outputs)
    missing_why = gillab("review", assignment, "--student", "stand_in_module", "--uphold", " ", course=course)
    assert missing_why.returncode == 2 and "say why" in missing_why.stderr


def test_the_witness_evidence_is_kept_in_the_autograded_notebook(graded):
    course = graded["ps1_parallel_sum"]["course"]
    path = course / "grader" / "autograded" / "solution" / "ps1_parallel_sum" / "parallel_sum.ipynb"
    evidence = nbformat.read(path, as_version=4).metadata["gillab_grading"]["evidence"]
    threads = evidence["threaded_sum_on_threads"]
    assert [entry["passed"] for entry in threads] == [True, True]
    assert len(threads[1]["observed"]["cpu_ns"]) == 5  # the hidden test's five threads, each seen working
    json.dumps(evidence)


def test_the_solutions_keep_full_marks_with_the_witness_under_a_one_cpu_quota(tmp_path, binder_sim):
    """Binder's one CPU: the witness and the workers it waits for share it, and nothing times out."""
    for assignment, under_test in UNDER_TEST.items():
        course = corpus.released_course(tmp_path / assignment, under_test)
        notebook = nbformat.read(FIXTURES / assignment / "solution.ipynb", as_version=4)
        write_submission(course / "grader" / "submitted", "solution", assignment, ASSIGNMENTS[assignment], notebook)
        command = [str(binder_sim), "--cpus", "1", "--", sys.executable, "-m", "gillab", "grade", "autograde",
                   assignment, "--course", str(course)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        outcome = load_outcomes(course / "grader" / "outcomes", assignment).get("solution")
        assert outcome is not None and outcome.status == "graded", done.stderr[-3000:]
        scores = read_scores(course, assignment)["solution"]
        assert not mismatches(expected(assignment)["cases"]["solution"]["scores"], scores), outcome.summary()


def test_the_canvas_export_leaves_a_held_submission_blank_until_the_review(graded, tmp_path):
    course = graded["ps2_io_threads"]["course"]
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nsolution,Sol Ution,s@example.org\npatched_server_log,Pat Ched,p@example.org\n")
    done = gillab("export", "--format", "canvas", "--roster", str(roster), "--csv", "-", course=course)
    assert done.returncode == 0, done.stderr
    rows = {row["SIS Login ID"]: row for row in csv.DictReader(io.StringIO(done.stdout)) if row["SIS Login ID"]}
    [column] = [name for name in rows["solution"] if name.startswith("ps2_io_threads")]
    assert float(rows["solution"][column]) == sum(expected("ps2_io_threads")["autograded_points"].values())
    assert rows["patched_server_log"][column] == ""
