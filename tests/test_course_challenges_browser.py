"""A challenge in a real browser, in JupyterLab and in Notebook 7, as a learner does it: open chapter 02,
run every cell (the untouched check says "not attempted yet"), type the worked solution into the
answer cell, run it and its check with Shift+Enter and see PASSED; then type a serial loop and see
the check's specific failure.

Skipped, with the install command, where there is no Chromium (tests/support/browser.py).
"""

import pytest
from support.browser import (
    PAGE_TIMEOUT_MS,
    JupyterServer,
    browser_context,
    cell_errors,
    copy_notebooks,
    open_notebook,
    require_chromium,
    run_all_cells,
    screenshot,
)
from support.challenge_answers import CASES, SOLUTION
from support.skips import import_server_side

pytestmark = [pytest.mark.browser, pytest.mark.slow]
import_server_side("jupyterlab")

CHAPTER = "course/02-how-traditional-programs-work.ipynb"
ANSWER_ID = "ch02-challenge-four-threads-answer"
UIS = ["lab", "notebook"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_chromium()
    work = tmp_path_factory.mktemp("challenge-browser")
    root = work / "root"
    paths = {ui: copy_notebooks([CHAPTER], root, folder=ui)[0] for ui in UIS}
    with JupyterServer(root, work) as server:
        yield server, paths, work


@pytest.fixture(scope="module")
def browser(served):
    _, _, work = served
    with browser_context(work / "profile") as context:
        yield context


def cell_index(page, cell_id: str) -> int:
    index = page.evaluate(
        "(id) => window.jupyterapp.shell.currentWidget.content.widgets.findIndex(cell => cell.model.id === id)",
        cell_id,
    )
    assert index >= 0, f"no cell {cell_id} in the page"
    return index


def type_and_check(page, answer, check, source: str) -> str:
    """Replace the answer cell's code by ``source`` as typed text, run it and the check with
    Shift+Enter, and return the check's output once it shows a new verdict."""
    from playwright.sync_api import expect

    before = check.locator(".jp-OutputArea-output").inner_text()
    editor = answer.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    # insert_text types the whole answer as one input, so the editor's auto-indent and bracket
    # closing do not reshape it
    page.keyboard.insert_text(source)
    assert editor.inner_text().strip().splitlines()[0] == source.splitlines()[0]
    page.keyboard.press("Shift+Enter")  # runs the answer cell, moves to the check cell
    page.keyboard.press("Shift+Enter")  # runs the check
    output = check.locator(".jp-OutputArea-output")
    expect(output).not_to_have_text(before, timeout=PAGE_TIMEOUT_MS)
    expect(output).to_contain_text("Check: ", timeout=PAGE_TIMEOUT_MS)
    return output.inner_text()


@pytest.mark.parametrize("ui", UIS)
def test_a_learner_types_the_solution_then_a_serial_answer_and_reads_each_verdict(served, browser, ui):
    server, paths, _ = served
    page = open_notebook(browser, server, paths[ui], ui)
    try:
        run_all_cells(page)
        assert not [text for text in cell_errors(page) if "Traceback" in text], cell_errors(page)
        cells = page.locator(".jp-Notebook .jp-Cell")
        index = cell_index(page, ANSWER_ID)
        answer, check = cells.nth(index), cells.nth(index + 1)
        check.scroll_into_view_if_needed()
        assert "Not attempted yet" in check.locator(".jp-OutputArea-output").inner_text()

        cases = {case.name: case for case in CASES["four_threads"]}
        passed = type_and_check(page, answer, check, cases[SOLUTION].source)
        assert "PASSED - four threads of this kernel" in passed, passed
        serial = type_and_check(page, answer, check, cases["a serial loop"].source)
        assert "NOT YET - video_sum_on_threads() summed all 4 chunks on the notebook's own thread" in serial, serial
        assert "What to change: give each chunk to a thread of its own" in serial
        screenshot(check, f"challenge-four-threads-{ui}")
    finally:
        page.close()
        server.shut_down_sessions()
