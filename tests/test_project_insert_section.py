"""scripts/insert_section.py: a chapter section kept beside its chapter (course/sections/) is put
into the chapter after a given cell, idempotently, leaving every other cell byte for byte as it was,
and refusing, changing nothing, when a chapter cell it replaces was edited meanwhile."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from support.paths import REPO

SCRIPT = REPO / "scripts" / "insert_section.py"


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=60)


def notebook(tmp_path, *sources):
    cells = [
        {"cell_type": "markdown", "id": f"c{index}", "metadata": {}, "source": source.splitlines(keepends=True)}
        for index, source in enumerate(sources)
    ]
    data = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def section(tmp_path, cells):
    path = tmp_path / "section.cells.json"
    path.write_text(json.dumps(cells))
    return path


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def test_new_cells_go_after_the_anchor_replacements_in_place_and_a_second_run_changes_nothing(tmp_path):
    chapter = notebook(tmp_path, "# title", "before", "old paragraph", "after")
    cells = [
        {"cell_type": "markdown", "id": "c2", "source": "new paragraph", "was_sha256": sha("old paragraph")},
        {"cell_type": "markdown", "id": "s1", "source": "## Section\ntext"},
        {"cell_type": "code", "id": "s2", "source": "print(1)", "metadata": {"tags": ["challenge-answer"]}},
    ]
    result = run(chapter, section(tmp_path, cells), "--after", "c1")
    assert result.returncode == 0 and "inserted 2 cell(s), replaced 1" in result.stdout, result.stderr
    data = json.loads(chapter.read_text())
    assert [cell["id"] for cell in data["cells"]] == ["c0", "c1", "c2", "s1", "s2", "c3"]
    assert data["cells"][2]["source"] == ["new paragraph"]
    assert data["cells"][4] == {"cell_type": "code", "execution_count": None, "id": "s2",
                                "metadata": {"tags": ["challenge-answer"]}, "outputs": [], "source": ["print(1)"]}
    before = chapter.read_bytes()
    again = run(chapter, tmp_path / "section.cells.json", "--after", "c1")
    assert again.returncode == 0 and "nothing changed" in again.stdout and chapter.read_bytes() == before
    assert run(chapter, tmp_path / "section.cells.json", "--after", "c1", "--check").returncode == 0


def test_a_replaced_cell_edited_meanwhile_is_a_conflict_and_nothing_changes(tmp_path):
    chapter = notebook(tmp_path, "# title", "someone else's newer paragraph")
    cells = [
        {"cell_type": "markdown", "id": "s1", "source": "mine"},
        {"cell_type": "markdown", "id": "c1", "source": "my paragraph", "was_sha256": sha("the old paragraph")},
    ]
    before = chapter.read_bytes()
    result = run(chapter, section(tmp_path, cells), "--after", "c0")
    assert result.returncode == 1
    assert "cells c1 differ from the versions the section was written against" in result.stderr
    assert chapter.read_bytes() == before
    assert run(chapter, tmp_path / "section.cells.json", "--after", "c0", "--check").returncode == 1


def test_an_unknown_anchor_is_named(tmp_path):
    chapter = notebook(tmp_path, "# title")
    result = run(chapter, section(tmp_path, [{"cell_type": "markdown", "id": "s1", "source": "x"}]), "--after", "nope")
    assert result.returncode == 1 and "the chapter has no cell 'nope' to insert after" in result.stderr


def test_chapter_06_holds_the_subinterpreter_section_as_written():
    result = run(REPO / "course/06-beyond-the-video.ipynb", REPO / "course/sections/06-three-ways.cells.json",
                 "--after", "ch06-25", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
