"""The README's benchmark table is generated from the shipped reference files
(scripts/bench_readme.py), so no number in it was typed by hand, and it is up to date."""

from __future__ import annotations

import copy
import doctest
import importlib.util

from support.paths import REPO

from gillab.show.references import load_references


def load_script():
    spec = importlib.util.spec_from_file_location("bench_readme", REPO / "scripts/bench_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_readme = load_script()


def test_the_readme_block_is_what_the_shipped_references_give():
    readme = (REPO / "README.md").read_text()
    assert bench_readme.readme_block() in readme, (
        "README.md's benchmark table is out of date: .venv/bin/python scripts/bench_readme.py --write"
    )


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


def test_the_script_s_docstring_examples():
    failures, _ = doctest.testmod(bench_readme, report=True)
    assert failures == 0
