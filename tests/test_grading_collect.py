"""`gillab grade collect`: from a folder, a zip, and nbgrader's exchange, saying what it skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import support.grading_corpus as corpus
from support.skips import import_server_side

from gillab.grading.collect import collect
from gillab.grading.course import Course

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return corpus.released_course(tmp_path_factory.mktemp("template"), corpus.DEMO)


@pytest.fixture
def course(released, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(released, copy)
    return Course.load(copy)


@pytest.fixture
def notebook(course):
    return nbformat.read(str(course.folder("release", ".", "demo_sum") / "demo_sum.ipynb"), as_version=4)


def _submitted(course, student):
    return course.folder("submitted", student, "demo_sum")


def _downloads(folder: Path, notebook) -> Path:
    folder.mkdir()
    nbformat.write(notebook, str(folder / "ann.ipynb"))
    nbformat.write(notebook, str(folder / "bob.ipynb"))
    (folder / "bob.timestamp.txt").write_text("2026-01-14 09:30:00.000000 UTC")
    (folder / "carl").mkdir()
    nbformat.write(notebook, str(folder / "carl" / "demo_sum.ipynb"))
    (folder / "carl" / "data.csv").write_text("1,2\n")
    (folder / "dave").mkdir()
    (folder / "dave" / "notes.txt").write_text("I ran out of time")
    (folder / "erin.ipynb").write_text("not even JSON")  # taken: autograde reports it
    (folder / "erin.timestamp.txt").write_text("yesterday-ish")
    (folder / "frank.timestamp.txt").write_text("2026-01-14 09:30:00.000000 UTC")
    (folder / "report.pdf").write_bytes(b"%PDF")
    nbformat.write(notebook, str(folder / "bad id!.ipynb"))
    return folder


def test_collect_from_a_folder_takes_every_submission_and_explains_every_skip(course, notebook, tmp_path):
    report = collect(course, "demo_sum", str(_downloads(tmp_path / "downloads", notebook)))
    assert sorted(report.collected) == ["ann", "bob", "carl", "erin"]
    assert (_submitted(course, "ann") / "demo_sum.ipynb").exists()
    assert (_submitted(course, "carl") / "data.csv").read_text() == "1,2\n"
    assert (_submitted(course, "bob") / "timestamp.txt").read_text().startswith("2026-01-14")
    assert (_submitted(course, "erin") / "demo_sum.ipynb").read_text() == "not even JSON"
    skipped = dict(report.skipped)
    assert skipped["dave"] == "the folder holds no notebook"
    assert "not a notebook file name" in skipped["report.pdf"]
    assert "is not a student id" in skipped["bad id!.ipynb"]
    assert "is not a date and time" in skipped["erin.timestamp.txt"]
    assert skipped["frank.timestamp.txt"] == "a timestamp without a submission"
    assert sorted(report.without_timestamp) == ["ann", "carl", "erin"]
    text = report.summary()
    assert "4 new" in text and "skipped dave: the folder holds no notebook" in text and "count as on time" in text


def test_collecting_again_replaces_only_what_changed(course, notebook, tmp_path):
    downloads = _downloads(tmp_path / "downloads", notebook)
    collect(course, "demo_sum", str(downloads))
    changed = nbformat.v4.new_notebook(cells=notebook.cells[:3], metadata=notebook.metadata)
    nbformat.write(changed, str(downloads / "ann.ipynb"))
    report = collect(course, "demo_sum", str(downloads))
    assert report.updated == ["ann"] and report.collected == []
    assert sorted(report.unchanged) == ["bob", "carl", "erin"]
    assert len(nbformat.read(str(_submitted(course, "ann") / "demo_sum.ipynb"), as_version=4).cells) == 3


def test_collect_from_a_zip_with_a_wrapper_folder_and_unsafe_entries(course, notebook, tmp_path):
    archive = tmp_path / "submissions.zip"
    text = nbformat.writes(notebook)
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("ps-downloads/ann.ipynb", text)
        bundle.writestr("ps-downloads/bob/demo_sum.ipynb", text)
        bundle.writestr("ps-downloads/../../evil.ipynb", text)
        link = zipfile.ZipInfo("ps-downloads/link.ipynb")
        link.external_attr = (0o120777 << 16)
        bundle.writestr(link, "/etc/passwd")
    report = collect(course, "demo_sum", str(archive))
    assert sorted(report.collected) == ["ann", "bob"]
    skipped = dict(report.skipped)
    assert skipped["ps-downloads/../../evil.ipynb"] == "an unsafe path inside the zip"
    assert skipped["ps-downloads/link.ipynb"] == "a symbolic link"
    assert not (tmp_path / "evil.ipynb").exists()


def test_collect_from_nbgraders_exchange(course, notebook, tmp_path):
    inbound = tmp_path / "exchange" / "gillab" / "inbound"
    for student, when in (
        ("ann", "2026-01-14 10:00:00.000000 UTC"),
        ("ann", "2026-01-15 10:00:00.000000 UTC"),
        ("bob", "2026-01-13 08:00:00.000000 UTC"),
    ):
        folder = inbound / f"{student}+demo_sum+{when}+x1y2"
        folder.mkdir(parents=True)
        nbformat.write(notebook, str(folder / "demo_sum.ipynb"))
        (folder / "timestamp.txt").write_text(when)
    report = collect(course, "demo_sum", str(tmp_path / "exchange"))
    assert sorted(report.collected) == ["ann", "bob"]
    assert (_submitted(course, "ann") / "timestamp.txt").read_text().startswith("2026-01-15")  # the newest


def test_collect_needs_a_released_assignment_and_an_existing_source(course, tmp_path):
    with pytest.raises(LookupError, match="Release it first: gillab grade release ps9"):
        collect(course, "ps9", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        collect(course, "demo_sum", str(tmp_path / "nowhere"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder nor a .zip"):
        collect(course, "demo_sum", str(tmp_path / "notes.txt"))


def test_the_command_prints_the_report(course, notebook, tmp_path):
    downloads = _downloads(tmp_path / "downloads", notebook)
    result = subprocess.run(
        [sys.executable, "-m", "gillab", "grade", "collect", "demo_sum", str(downloads), "--course", str(course.root)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert "demo_sum: 4 new, 0 updated, 0 unchanged, 5 skipped." in result.stdout
