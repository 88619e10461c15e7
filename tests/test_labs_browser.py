"""The labs in a real browser, in JupyterLab and in Notebook 7: open a notebook, run every cell,
move a lab's thread or worker slider to a new value, press Run, and check what the learner sees.

The notebooks are a parameter: any notebook that shows labs can be added to ``LAB_NOTEBOOKS``
(the course's chapters with labs belong there). Each lab found in the page is exercised; its chart
image must change, and its results table must change and show the new value in the newest row.
A screenshot of each lab after its run is saved in ``test-artifacts/``; with
``GILLAB_DOCS_SCREENSHOTS=1`` the JupyterLab ones are also copied to ``docs/lab-<name>.png``.

Timeouts are generous (``PAGE_TIMEOUT_MS``, 2 minutes a step): other work shares the CPUs.
"""

import os
import re
from pathlib import Path

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
    set_slider,
)
from support.paths import REPO
from support.skips import import_server_side

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# the server is JupyterLab of this Python's venv (the free-threaded one has none: make test runs these)
import_server_side("jupyterlab")

#: Notebooks that show labs: the chapters that embed them (03: speedup and switch interval, 04: I/O),
#: and a fixture showing all three side by side (for the screenshots in docs/).
LAB_NOTEBOOKS = [
    "course/03-the-problem-with-python.ipynb",
    "course/04-why-use-threads.ipynb",
    "tests/fixtures/labs-demo.ipynb",
]
UIS = ["lab", "notebook"]
#: For each lab: the slider a learner moves (its CSS class) and the results column that shows it.
LAB_SLIDERS = {
    "speedup": ("gillab-workers", "workers"),
    "switch-interval": ("gillab-busy-threads", "busy_threads"),
    "io": ("gillab-threads", "threads"),
}
DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_chromium()
    work = tmp_path_factory.mktemp("browser")
    root = work / "root"
    paths = {(notebook, ui): copy_notebooks([notebook], root, folder=ui)[0] for notebook in LAB_NOTEBOOKS for ui in UIS}
    with JupyterServer(root, work) as server:
        yield server, paths, work


@pytest.fixture(scope="module")
def browser(served):
    _, _, work = served
    with browser_context(work / "profile") as context:
        yield context


def newest(lab, column):
    cells = lab.locator(f".gillab-results-table tbody tr:first-child .gillab-col-{column}")
    return cells.inner_text().strip() if cells.count() else None


def column_values(lab, column):
    return [text.strip() for text in lab.locator(f".gillab-results-table .gillab-col-{column}").all_inner_texts()]


def chart_state(lab):
    image = lab.locator("img.gillab-chart")
    image.evaluate("img => img.decode()")  # wait until the browser has decoded the current image
    return image.get_attribute("src"), image.screenshot()


def pick_new_value(current, taken):
    # small values exist on every slider (the busy-threads slider stops at 4)
    for value in (current + 1, current - 1, current + 2, current - 2, 1, 2, 3, 4):
        if 1 <= value <= 4 and str(value) not in taken and value != current:
            return value
    raise AssertionError(f"no new slider value to try: current {current}, already in the table {taken}")


@pytest.mark.parametrize("ui", UIS)
@pytest.mark.parametrize("notebook", LAB_NOTEBOOKS)
def test_each_lab_answers_a_new_slider_value(served, browser, notebook, ui):
    server, paths, _ = served
    page = open_notebook(browser, server, paths[(notebook, ui)], ui)
    try:
        run_all_cells(page)
        assert not page.get_by_text("VBox(children=").count(), "widgets shown as text: the widget extension is missing"
        assert not [text for text in cell_errors(page) if "Traceback" in text or "Error" in text], cell_errors(page)
        labs = page.locator(".gillab-lab")
        assert labs.count() >= 1, f"{notebook} shows no lab"
        for index in range(labs.count()):
            exercise_lab(page, labs.nth(index), Path(notebook).stem, ui)
    finally:
        page.close()
        server.shut_down_sessions()


def exercise_lab(page, lab, stem, ui):
    name = re.search(r"gillab-([a-z-]+)-lab", lab.get_attribute("class")).group(1)
    slider_class, column = LAB_SLIDERS[name]
    lab.scroll_into_view_if_needed()
    slider = lab.locator(f".{slider_class}")
    table_before = lab.locator(".gillab-results-table").inner_text()
    runs_before = int(newest(lab, "run") or 0)
    src_before, pixels_before = chart_state(lab)

    value = pick_new_value(int(slider.locator(".widget-readout").inner_text()), column_values(lab, column))
    assert set_slider(slider, value) == str(value), f"{name}: the {slider_class} slider did not take {value}"

    button = lab.locator("button.gillab-run")
    # remember whether the button was ever disabled, however short the run
    button.evaluate("""button => {
        window.gillabSawDisabled = false;
        new MutationObserver(() => { if (button.disabled) window.gillabSawDisabled = true; })
            .observe(button, {attributes: true});
    }""")
    button.click()
    status = lab.locator(".gillab-status")
    page.wait_for_function(
        "([element, text]) => element.textContent.startsWith(text)",
        arg=[status.element_handle(), f"Done: run {runs_before + 1}"],
        timeout=PAGE_TIMEOUT_MS,
    )
    assert lab.locator(".gillab-message").inner_text().strip() == "", (
        f"{name}: {lab.locator('.gillab-message').inner_text()}"
    )
    assert page.evaluate("window.gillabSawDisabled"), f"{name}: the Run button was never disabled during the run"
    # the status and the button's state reach the page in separate widget messages
    from playwright.sync_api import expect

    expect(button).to_be_enabled(timeout=PAGE_TIMEOUT_MS)

    assert newest(lab, "run") == str(runs_before + 1)
    assert newest(lab, column) == str(value), f"{name}: the newest row does not show {column} = {value}"
    assert lab.locator(".gillab-results-table").inner_text() != table_before
    src_after, pixels_after = chart_state(lab)
    assert src_after != src_before and pixels_after != pixels_before, f"{name}: the chart image did not change"

    docs_copy = DOCS / f"lab-{name}.png" if ui == "lab" and os.environ.get("GILLAB_DOCS_SCREENSHOTS") == "1" else None
    screenshot(lab, f"{stem}-{ui}-{name}", also=docs_copy)
    if docs_copy is not None:
        record_screenshot(name)


def record_screenshot(name: str) -> None:
    """Note in ``docs/lab-screenshots.json`` where and when the docs' screenshot of lab ``name`` was
    taken: the README's sentence about the screenshots is generated from it (scripts/screenshots_readme.py)."""
    import datetime
    import json

    import jupyterlab

    from gillab.machine.doctor import collect_facts

    facts = collect_facts()
    record = DOCS / "lab-screenshots.json"
    data = json.loads(record.read_text()) if record.exists() else {}
    data["jupyterlab"] = jupyterlab.__version__
    data["machine"] = {key: facts[key] for key in ("python_version", "build", "effective_cpus", "cpu_model")}
    data.setdefault("labs", {})[name] = {
        "taken": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    record.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
