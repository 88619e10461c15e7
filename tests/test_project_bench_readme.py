"""The README's benchmark and grading tables are generated from the shipped reference files
(scripts/bench_readme.py, through scripts/readme_blocks.py), so no number in them was typed by
hand, and they are up to date."""

from __future__ import annotations

import copy
import doctest
import importlib.util
import json

from support.paths import REPO

from gillab.show.references import load_references


def load_script(name: str = "bench_readme"):
    spec = importlib.util.spec_from_file_location(name, REPO / f"scripts/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_readme = load_script()
screenshots_readme = load_script("screenshots_readme")


def test_the_readme_block_is_what_the_shipped_references_give():
    readme = (REPO / "README.md").read_text()
    assert bench_readme.readme_block() in readme, (
        "README.md's benchmark table is out of date: .venv/bin/python scripts/bench_readme.py --write"
    )
    assert bench_readme.grading_block() in readme, (
        "README.md's grading table is out of date: .venv/bin/python scripts/bench_readme.py --write"
    )
    assert screenshots_readme.readme_block() in readme, (
        "README.md's sentence on the screenshots is out of date: .venv/bin/python scripts/screenshots_readme.py --write"
    )


def test_every_screenshot_in_docs_has_its_record():
    recorded = set(json.loads(screenshots_readme.RECORD.read_text())["labs"])
    shots = {path.stem.removeprefix("lab-") for path in (REPO / "docs").glob("lab-*.png")}
    assert shots == recorded, f"screenshots without a record, or records without one: {sorted(shots ^ recorded)}"


def test_the_grading_table_has_a_row_per_reference_that_graded_and_its_numbers_come_from_it():
    graded = [ref for ref in load_references() if (ref.get("autograde") or {}).get("status") == "ok"]
    assert graded, "no shipped reference has a grading benchmark"
    newer = copy.deepcopy(graded[0])
    newer["file"], newer["date"] = "newer.json", "2999-01-01T00:00:00+00:00"
    newer["autograde"]["result"]["seconds"]["nbgrader"]["median"] = 4321.0
    failed = copy.deepcopy(graded[0])
    failed["file"], failed["autograde"] = "failed.json", {"status": "failed", "reason": "no bubblewrap"}
    rows = bench_readme.grading_block([*graded, newer, failed]).splitlines()[3:-1]
    assert [row.split("`")[1] for row in rows] == [ref["file"] for ref in graded] + ["newer.json"]
    assert "| 4321.00 s (" in rows[-1], rows[-1]


def test_check_notices_a_stale_block_and_write_mends_it(tmp_path):
    readme = tmp_path / "README.md"
    current = (REPO / "README.md").read_text()
    readme.write_text(current.replace(bench_readme.grading_block(), bench_readme.grading_block([])))
    blocks = [(bench_readme.GRADING_BEGIN, bench_readme.GRADING_END, bench_readme.grading_block)]
    check = ["--check"]
    assert bench_readme.readme_blocks.main("grading", blocks, "fix", check, readme) == 1
    assert bench_readme.readme_blocks.main("grading", blocks, "fix", ["--write"], readme) == 0
    assert bench_readme.readme_blocks.main("grading", blocks, "fix", check, readme) == 0
    assert readme.read_text() == current


def test_each_column_is_the_newest_reference_of_its_interpreter_and_its_numbers_come_from_it():
    references = load_references()
    newer = copy.deepcopy(references[0])
    newer["date"] = "2999-01-01T00:00:00+00:00"
    newer["file"] = "newer.json"
    newer["cpu_sum"]["n"] = 123_456_789
    block = bench_readme.readme_block([*references, newer])
    assert "1..123,456,789" in block and "`newer.json`" in block
    assert f"`{references[0]['file']}`" not in block
    header = block.splitlines()[1]
    interpreters = {(ref["machine"]["python_version"], ref["machine"]["build"]) for ref in references}
    assert header.count("| Python ") == len(interpreters)


def test_a_section_that_did_not_run_says_so_instead_of_a_number():
    reference = copy.deepcopy(load_references()[0])
    reference["io"] = {"status": "failed", "reason": "the chat server did not start"}
    row = next(line for line in bench_readme.readme_block([reference]).splitlines() if line.startswith("| `io`"))
    assert row == "| `io`, 32 threads over serial | failed |"


def test_the_scripts_docstring_examples():
    for module in (bench_readme, bench_readme.readme_blocks, screenshots_readme):
        failures, _ = doctest.testmod(module, report=True)
        assert failures == 0, module.__name__
