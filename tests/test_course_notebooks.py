"""The chapters: their shape (Carpentries style, links that resolve, a challenge in each), how pytest
collects them, and a full run under a Binder-like one-CPU quota.

nbval itself executes every chapter in the plain `pytest` run (pyproject.toml adds `course` to the
test paths); the deterministic results are checked by `assert` cells inside the notebooks.

A chapter's own code cells define no functions (worker functions live in the gillab package, where
every start method can import them). The exception is a challenge's ANSWER cell, where the learner
writes code: it is marked with the cell tag ``challenge-answer`` (``"metadata": {"tags":
["challenge-answer"]}``) and may define functions. How a challenge is laid out is described in
gillab/probes/challenges/__init__.py; what its checks say is tested in test_course_challenges.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from support.paths import REPO

from gillab.machine.cpus import one_cpu_note
from gillab.probes.challenges import CHALLENGES
from gillab.probes.challenges.stubs import STUB_LINE

COURSE = REPO / "course"
CHAPTERS = [
    "01-what-is-the-gil.ipynb",
    "02-how-traditional-programs-work.ipynb",
    "03-the-problem-with-python.ipynb",
    "04-why-use-threads.ipynb",
    "05-multiprocessing.ipynb",
    "06-beyond-the-video.ipynb",
    "07-beyond-one-machine.ipynb",
]
PROBLEM_SETS = {
    "../exercises/ps1_parallel_sum/parallel_sum.ipynb",
    "../exercises/ps2_io_threads/io_threads.ipynb",
}
MAX_CODE_LINES = 12
# chapter 05 defines `double` to show that a fresh process cannot find it; chapter 07 shows problem set 1's
# `process_sum` running unchanged on a cluster
NOTEBOOK_DEFINED_ON_PURPOSE = {"double", "process_sum"}
#: The cell tag of a challenge's answer cell: the one kind of cell where a chapter may define functions.
ANSWER_TAG = "challenge-answer"


def cells(name):
    return json.loads((COURSE / name).read_text())["cells"]


def text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def is_answer(cell) -> bool:
    return ANSWER_TAG in cell.get("metadata", {}).get("tags", [])


def test_the_chapters_are_there_and_nothing_else():
    assert sorted(path.name for path in COURSE.glob("*.ipynb")) == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_opens_with_questions_and_objectives(name):
    first = text(cells(name)[0])
    assert first.startswith(f"# {name[:2]}. ")
    assert "**Questions**" in first and "**Objectives**" in first


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_ends_with_key_points_a_problem_set_and_the_next_chapter(name):
    last = text(cells(name)[-1])
    assert last.startswith("## Key points")
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", last)
    assert set(links) & PROBLEM_SETS, f"{name}: no link to a problem set"
    chapters = [link for link in links if link not in PROBLEM_SETS]
    assert chapters and all((COURSE / link).is_file() for link in chapters), f"{name}: {chapters}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_has_self_checks_and_short_code_cells_that_use_gillab(name):
    all_cells = cells(name)
    assert sum(text(cell).count("<details>") for cell in all_cells if cell["cell_type"] == "markdown") >= 1
    code = [text(cell) for cell in all_cells if cell["cell_type"] == "code"]
    assert re.search(r"^from gillab\.\w+", code[0], re.M), f"{name}: the first code cell imports the course package"
    too_long = [source.splitlines()[0] for source in code if len(source.splitlines()) > MAX_CODE_LINES]
    assert not too_long, f"{name}: code cells longer than {MAX_CODE_LINES} lines: {too_long}"
    own = [text(cell) for cell in all_cells if cell["cell_type"] == "code" and not is_answer(cell)]
    defined = {match for source in own for match in re.findall(r"^\s*(?:def|class) (\w+)", source, re.M)}
    assert defined <= NOTEBOOK_DEFINED_ON_PURPOSE, f"{name}: {defined}: worker functions belong in the gillab package"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_has_its_challenges_each_a_task_a_stub_a_check_and_a_folded_solution(name):
    all_cells = cells(name)
    expected = CHALLENGES[name[:2]]
    checks = []
    for index, cell in enumerate(all_cells):
        if not is_answer(cell):
            continue
        task, answer, check, solution = all_cells[index - 1 : index + 3]
        assert task["cell_type"] == "markdown" and task["id"].endswith(answer["id"].removesuffix("-answer"))
        assert text(task).startswith("## Challenge: "), f"{name}: {task['id']} does not open with a challenge heading"
        stub = text(answer)
        assert STUB_LINE in stub or re.search(r"^\w+ = \.\.\.", stub, re.M), f"{name}: {answer['id']} is not a stub"
        module = re.fullmatch(
            r"from gillab\.probes\.challenges import (\w+)(?: as (\w+))?\n\n(\w+)\.check\(globals\(\)\)", text(check)
        )
        assert module and module.group(3) == (module.group(2) or module.group(1)), f"{name}: {text(check)!r}"
        checks.append(module.group(1))
        assert text(solution).startswith("<details>") and "</details>" in text(solution), f"{name}: {solution['id']}"
    assert tuple(checks) == expected, f"{name}: challenges {checks}, expected {expected}"


def test_only_answer_cells_are_tagged_and_every_tag_is_a_known_one():
    for name in CHAPTERS:
        for cell in cells(name):
            tags = cell.get("metadata", {}).get("tags", [])
            assert set(tags) <= {ANSWER_TAG}, f"{name}: {cell['id']} has tags {tags}"
            if ANSWER_TAG in tags:
                assert cell["cell_type"] == "code" and cell["id"].endswith("-answer"), f"{name}: {cell['id']}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_docs_python_org_links_name_the_version_they_quote(name):
    for cell in cells(name):
        for link in re.findall(r"https://docs\.python\.org/[^)\s]+", text(cell)):
            assert re.match(r"https://docs\.python\.org/3\.\d+/", link), f"{name}: {link} names no version"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_external_link_is_https(name):
    for cell in cells(name):
        for link in re.findall(r"\]\((\w+:[^)]+)\)", text(cell)):
            assert link.startswith("https://"), f"{name}: {link}"


def test_pytest_collects_the_chapters_but_no_problem_set_or_fixture_notebook(tmp_path):
    notebook = json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "id": "c1",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": "1 + 1",
                }
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )
    for folder in ("course", "exercises/ps1", "solutions/ps1", "tests/fixtures", "grader/submitted/a"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "probe.ipynb").write_text(notebook)
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    for arguments in ([], ["."]):
        listed = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", *arguments],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        collected = {line.split("::")[0] for line in listed.stdout.splitlines() if ".ipynb::" in line}
        assert collected == {"course/probe.ipynb"}, listed.stdout + listed.stderr


@pytest.mark.slow
def test_every_chapter_runs_under_a_one_cpu_quota(binder_sim):
    """The same nbval pass as in `make test`, as a mybinder.org user with one CPU would run it."""
    run = subprocess.run(
        [
            str(binder_sim),
            "--cpus",
            "1",
            "--",
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *[str(COURSE / name) for name in CHAPTERS],
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\b\d+ passed", run.stdout) and "failed" not in run.stdout


@pytest.mark.slow
def test_under_one_cpu_the_chapters_say_why_speedup_cannot_show(binder_sim, tmp_path):
    script = textwrap.dedent(f"""
        import json, nbformat
        from nbclient import NotebookClient
        notebook = nbformat.read({str(COURSE / "03-the-problem-with-python.ipynb")!r}, as_version=4)
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={{"metadata": {{"path": {str(COURSE)!r}}}}}).execute()
        print(json.dumps([output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])]))
    """)
    run = subprocess.run(
        [str(binder_sim), "--cpus", "1", "--", sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    printed = "".join(json.loads(run.stdout.strip().splitlines()[-1]))
    assert "Effective CPUs here: 1" in printed
    assert one_cpu_note(1) in printed
