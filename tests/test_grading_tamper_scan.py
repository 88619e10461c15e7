"""The tamper scan names each place a submission reaches for the grader's instruments, and nothing
in an honest one."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from support.paths import REPO

from gillab.grading.tamper_scan import scan_notebook

IMPORTS = new_code_cell(
    "from gillab.measure.workloads import count_sum\nfrom gillab.chat.server import ChatServer",
    metadata={"nbgrader": {"grade_id": "imports", "locked": True}},
)
RELEASED = new_notebook(cells=[IMPORTS])


def findings(*sources):
    cells = [IMPORTS] + [new_code_cell(source) for source in sources]
    return [str(finding) for finding in scan_notebook(new_notebook(cells=cells), RELEASED)]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("from gillab.probes.chunk_probe import ChunkRun\nChunkRun.check = print", "line 1: imports gillab.probes"),
        ("import sys\nsys.modules['gillab.probes.chunk_probe'] = None", "line 2: writes to sys.modules"),
        ("import gillab.grading.witness", "imports gillab.grading.witness"),
        ("m = __import__('gil' + 'lab')", "uses __import__"),
        ("exec('x = 1')", "uses exec"),
        ("import builtins\nbuiltins.len = lambda x: 0", "imports builtins"),
        ("def isinstance(a, b):\n    return True", "shadows the builtin isinstance"),
        ("AssertionError = Exception", "shadows the builtin AssertionError"),
        ("count_sum = sum", "rebinds count_sum"),
        ("def f():\n    global count_sum\n    count_sum = sum", "line 2: rebinds count_sum from inside a function"),
        ("ChatServer.max_in_flight = lambda self: 9", "changes ChatServer.max_in_flight"),
        ("setattr(ChatServer, 'max_in_flight', print)", "setattr on ChatServer"),
        ("print(count_sum.folder)", "reads count_sum.folder"),
        ("open('/tmp/x/met', 'w')", "names the grader's evidence files"),
        ("import os\nos.environ.pop('GILLAB_WITNESS_DIR')", "changes the environment"),
        ("import os\nos.environ['X'] = '1'", "changes the environment"),
        ("print(count_sum.__code__)", "reaches into __code__"),
        ("import gc", "imports gc"),
        ("def threaded_sum(n, k):\n    import gillab.probes.chunk_probe as p\n    p.ChunkRun.check = print",
         "line 2: imports gillab.probes"),
    ],
)
def test_each_way_of_reaching_the_instruments_is_named_with_its_line(source, words):
    found = findings(source)
    assert any(words in finding for finding in found), found
    assert all(finding.startswith("cell 2, line ") for finding in found)


def test_ordinary_answers_are_not_flagged():
    answer = '''
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from joblib import Parallel, delayed


def threaded_sum(n, n_threads):
    totals = {}
    def work(index, lo, hi):
        totals[index] = count_sum(lo, hi)
    chunks = [(1 + i * n // n_threads, 1 + (i + 1) * n // n_threads) for i in range(n_threads)]
    threads = [threading.Thread(target=work, args=(i, *c)) for i, c in enumerate(chunks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(totals.values())


def fetch_all(api, urls):
    with ThreadPoolExecutor(4) as pool:
        futures = {pool.submit(len, url): url for url in urls}
        return [future.result() for future in as_completed(futures)]
'''
    assert findings(answer, "%time threaded_sum(10, 2)", "!ls") == []


def test_locked_cells_are_restored_before_grading_so_their_edits_are_not_findings():
    locked = {"nbgrader": {"grade_id": "imports", "locked": True}}
    edited = new_code_cell("import sys\nsys.modules.clear()", metadata=locked)
    assert scan_notebook(new_notebook(cells=[edited]), RELEASED) == []


@pytest.mark.parametrize("assignment", ["ps1_parallel_sum", "ps2_io_threads"])
def test_no_honest_fixture_and_every_tampering_fixture_is_found(assignment):
    import json

    notebook = {"ps1_parallel_sum": "parallel_sum", "ps2_io_threads": "io_threads"}[assignment]
    released = nbformat.read(REPO / "exercises" / assignment / f"{notebook}.ipynb", as_version=4)
    folder = REPO / "tests" / "fixtures" / "submissions" / assignment
    cases = json.loads((folder / "expected.json").read_text())["cases"]
    for case, spec in cases.items():
        found = scan_notebook(nbformat.read(folder / f"{case}.ipynb", as_version=4), released)
        assert bool(found) == (spec["status"] == "needs review"), (case, [str(f) for f in found])
