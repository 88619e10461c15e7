"""The problem sets as released: exercises/ is exactly nbgrader's output, gives nothing away, follows
the course's nbgrader style, and the submission fixtures are built from it."""

from __future__ import annotations

import ast
import importlib.util
import json
import re

import nbformat
import pytest
from support.problem_set_course import ASSIGNMENTS, FIXTURES, REPO

SOURCES = {
    assignment: REPO / "solutions" / assignment / f"{notebook}.ipynb" for assignment, notebook in ASSIGNMENTS.items()
}
RELEASES = {
    assignment: REPO / "exercises" / assignment / f"{notebook}.ipynb" for assignment, notebook in ASSIGNMENTS.items()
}
REGIONS = [
    ("BEGIN SOLUTION", "END SOLUTION"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
]


def read(path):
    return nbformat.read(path, as_version=4)


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def split_regions(source: str) -> tuple[list[str], list[str]]:
    """(lines inside solution/hidden/mark-scheme regions, lines outside them) of a cell's source."""
    inside, outside, depth = [], [], None
    for line in source.split("\n"):
        if depth is None:
            depth = next((end for begin, end in REGIONS if begin in line), None)
            if depth is None:
                outside.append(line)
        elif depth in line:
            depth = None
        else:
            inside.append(line)
    return inside, outside


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_exactly_what_nbgrader_generates(assignment, released_course):
    generated = released_course / "exercises" / assignment
    committed = REPO / "exercises" / assignment
    generated_files = sorted(p.relative_to(generated) for p in generated.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    assert generated_files == committed_files
    for name in generated_files:
        assert (generated / name).read_bytes() == (committed / name).read_bytes(), (
            f"exercises/{assignment}/{name} differs from what nbgrader generates from solutions/: run `make exercises`"
        )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_or_hidden_test_reaches_the_students(assignment):
    source, release = read(SOURCES[assignment]), read(RELEASES[assignment])
    secret, public = set(), set()
    for cell in source.cells:
        inside, outside = split_regions(cell.source)
        secret.update(line.strip() for line in inside if len(line.strip()) >= 10)
        public.update(line.strip() for line in outside)
    secret -= public  # a line the students also see elsewhere (a repeated check) gives nothing away
    assert secret, "the source notebook has no solutions or hidden tests"
    released_text = "\n".join(cell.source for cell in release.cells)
    for begin, end in REGIONS:
        assert begin not in released_text and end not in released_text
    leaked = sorted(line for line in secret if line in {text.strip() for text in released_text.split("\n")})
    assert not leaked, f"exercises/{assignment} shows solution or hidden-test lines: {leaked[:5]}"
    for cell in release.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
        if meta(cell).get("solution"):
            stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in cell.source, f"answer cell {meta(cell)['grade_id']} is not a stub"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_problem_set_follows_the_nbgrader_example_course_style(assignment):
    source = read(SOURCES[assignment])
    assert source.metadata["kernelspec"]["name"] == "python3"
    cells = source.cells
    grade_ids = [meta(cell)["grade_id"] for cell in cells if meta(cell)]
    assert len(grade_ids) == len(set(grade_ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]+", grade_id) and not grade_id.startswith("cell") for grade_id in grade_ids)
    code_cells = [cell for cell in cells if cell.cell_type == "code"]
    graded = [cell for cell in code_cells if meta(cell).get("grade")]
    assert graded
    for cell in graded:
        grade_id = meta(cell)["grade_id"]
        assert meta(cell)["locked"] and meta(cell)["points"] > 0, grade_id
        assert ast.get_docstring(ast.parse(cell.source)), f"{grade_id} opens without a docstring"
        assert "BEGIN HIDDEN TESTS" in cell.source, f"{grade_id} has no hidden tests"
    for index, cell in enumerate(code_cells):
        if meta(cell).get("solution"):
            check = code_cells[index + 1]
            assert not meta(check), f"no visible check cell after answer cell {meta(cell)['grade_id']}"
            assert meta(code_cells[index + 2]).get("grade"), (
                f"the check after {meta(cell)['grade_id']} is not followed by its tests"
            )
    imports = next(cell for cell in code_cells if meta(cell).get("grade_id") == "imports")
    assert "split_range" not in imports.source and "fetch_threaded" not in imports.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_table_in_the_notebook_matches_the_cells(assignment):
    source = read(SOURCES[assignment])
    points: dict[str, float] = {}
    for cell in source.cells:
        if meta(cell).get("grade"):
            points[meta(cell)["grade_id"]] = meta(cell)["points"]
    rows = re.findall(r"^\| \d\. (`(\w+)`|Explanation) \|.*\| (\d+) \|$", source.cells[0].source, flags=re.M)
    assert rows
    for _, name, total in rows:
        prefix = name or "explain"
        assert sum(p for grade_id, p in points.items() if grade_id.startswith(prefix)) == int(total), prefix
    assert sum(int(total) for *_, total in rows) == sum(points.values())


def test_the_written_explanation_is_manually_graded_with_a_rubric():
    source = read(SOURCES["ps1_parallel_sum"])
    written = [cell for cell in source.cells if cell.cell_type == "markdown" and meta(cell).get("grade")]
    assert len(written) == 1 and meta(written[0])["solution"] and meta(written[0])["points"] == 4
    inside, _ = split_regions(written[0].source)
    assert "Rubric" in "\n".join(inside)
    measure = next(cell for cell in source.cells if meta(cell).get("grade_id") == "measure")
    assert meta(measure)["locked"] and "time_call" in measure.source


def load_builder():
    spec = importlib.util.spec_from_file_location("build_submissions", FIXTURES / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_submission_fixtures_are_built_from_the_current_exercises():
    stale = [
        path.relative_to(REPO)
        for path, text in load_builder().build_all().items()
        if not path.is_file() or path.read_text() != text
    ]
    assert not stale, f"out of date (run .venv/bin/python tests/fixtures/submissions/build.py): {stale}"


def test_fixtures_cover_every_cheat_and_variant_the_issue_names():
    ps1 = json.loads((FIXTURES / "ps1_parallel_sum" / "expected.json").read_text())["cases"]
    parallel_cells = {"threaded_sum_on_threads", "process_sum_in_processes"}
    for case in ["serial_loop", "closed_form", "threads_main_sums", "pool_one_at_a_time", "joblib_threading"]:
        lost = {grade_id for grade_id, score in ps1[case]["scores"].items() if score == 0}
        assert lost and lost <= parallel_cells, case  # the parallelism points, and only those
    assert ps1["hardcoded"]["total"] == 0
    for case in ["solution", "threadpool", "loky_explicit", "own_chunker"]:
        assert ps1[case]["total"] == 13, case
    assert ps1["untouched"]["total"] == 0
    ps2 = json.loads((FIXTURES / "ps2_io_threads" / "expected.json").read_text())["cases"]
    assert ps2["solution"]["total"] == ps2["threads_by_hand"]["total"] == 12 and ps2["untouched"]["total"] == 0
