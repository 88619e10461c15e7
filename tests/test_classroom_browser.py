"""The classroom the way a class uses it, in a real browser on a real JupyterHub (issue 16):

1. the instructor releases ps1 into the exchange;
2. three students log in (three Chromium contexts), open the Assignments tab, fetch ps1, write
   their answers (full marks, partial, and a hostile one from the grading corpus), press Validate,
   then Submit;
3. the instructor collects, autogrades (sandboxed, parallel), grades the written explanation in
   the Formgrader, generates and releases feedback;
4. each student fetches the feedback and reads their score and the grader's messages.

Answers go into the notebook through JupyterLab's own model of each cell (the code is long; what
a keyboard would type ends up in the same place) and the written answer is typed with the
keyboard; the notebook is saved with JupyterLab's save command. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import json

import nbformat
import pytest
import support.grading_corpus as corpus
from support.browser import ARTIFACTS, CHROMIUM_ARGS, require_chromium
from support.classroom import PASSWORD, classroom_for_test, home, require_classroom, run_as
from support.skips import import_server_side

import_server_side("nbgrader")

from gillab.grading import submissions as sub  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ASSIGNMENT, NOTEBOOK = "ps1_parallel_sum", "parallel_sum"
COURSE_ID = "gillab"
WAIT_MS = 120_000
#: what each student writes, and the grade and comment the instructor gives the explanation
MANUAL = {"full": ("4", "Clear and complete."), "partial": ("2", "Say which lock, and why processes help."),
          "hostile": ("0", "No explanation given.")}


def _answers(classroom):
    course = home(classroom.settings.instructor) / classroom.settings.course_id
    released = nbformat.read(str(course / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    source = nbformat.read(str(course / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    context = corpus.Context(released=released, source=source, assignment=corpus.PS1, course=course, port=1,
                             marker="classroom-browser-test")
    hostile = next(f for f in corpus.FIXTURES if f.student == "os-exit")  # its kernel dies in threaded_sum
    notebooks = {
        "full": context.answered,
        "partial": sub.replace_source(context.answered, "threaded_sum",
                                      "def threaded_sum(n, n_threads):\n    return n * (n + 1) // 2 + 1"),
        "hostile": hostile.build(context),
    }
    written = {"full": "Threads take turns holding the GIL; processes each have their own interpreter and GIL.",
               "partial": "Because of a lock.", "hostile": ""}
    code = {}
    for kind, notebook in notebooks.items():
        code[kind] = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
                      if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")}
    return code, written


def _login(browser, classroom, user):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{classroom.settings.url}hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=WAIT_MS)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand("
                           "'nbgrader:open-assignment-list')", timeout=WAIT_MS)
    return context, page


def _assignments(page, expect):
    page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-assignment-list')")
    page.locator("#refresh_assignments_list").click()
    for name in ("released", "fetched", "submitted"):
        expect(page.locator(f"#{name}_assignments_list_loading")).to_be_hidden(timeout=WAIT_MS)


def _rows(page, name):
    return page.locator(f"#{name}_assignments_list > .list_item")


def _student_submits(page, expect, code, written, kind):
    _assignments(page, expect)
    expect(_rows(page, "released")).to_have_count(1)
    expect(_rows(page, "released").first.locator(".item_course")).to_have_text(COURSE_ID)
    _rows(page, "released").first.locator('.item_status button:text("Fetch")').click()
    expect(_rows(page, "fetched")).to_have_count(1)
    page.locator("#fetched_assignments_list a.assignment-notebooks-link").click()
    folder = f"#nbgrader-{COURSE_ID}-{ASSIGNMENT}"
    page.locator(f"{folder}.collapse.in").wait_for()
    page.locator(f'{folder} .list_item a:text("{NOTEBOOK}")').click()
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel.locator(".jp-Toolbar-kernelName")).to_contain_text("Python 3", timeout=WAIT_MS)
    changed = page.evaluate(
        """(answers) => {
            const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
            let changed = 0;
            for (let i = 0; i < cells.length; i++) {
                const cell = cells.get(i);
                const id = ((cell.getMetadata('nbgrader') || {}).grade_id);
                if (id in answers) { cell.sharedModel.setSource(answers[id]); changed += 1; }
            }
            return changed;
        }""",
        code,
    )
    assert changed == len(code)
    if written:
        cell = panel.locator(".jp-MarkdownCell").filter(has_text="YOUR ANSWER HERE").first
        cell.dblclick()
        cell.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(written)
        page.keyboard.press("Control+Enter")  # render; Shift+Enter on the last cell would add a cell
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    expect(page.locator(".jp-NotebookPanel:visible .jp-mod-dirty")).to_have_count(0)
    panel.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=WAIT_MS)
    verdict = dialog.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"classroom-{kind}-validate.png"))
    dialog.locator("button.jp-Dialog-button").last.click()
    page.locator('#jp-main-dock-panel .lm-TabBar-tab:has-text("Assignments")').click()
    _rows(page, "fetched").first.locator('.item_status button:text("Submit")').click()
    expect(_rows(page, "submitted")).to_have_count(1)
    expect(page.locator(f"{folder}-submissions > .list_item")).to_have_count(2)  # a header and one submission
    return verdict


def _formgrader(browser, classroom, expect):
    instructor = classroom.settings.instructor
    context, page = _login(browser, classroom, instructor)
    base = f"{classroom.settings.url}user/{instructor}/formgrader"
    page.goto(f"{base}/api/submitted_notebooks/{ASSIGNMENT}/{NOTEBOOK}")
    submissions = json.loads(page.locator("body").inner_text())
    for submission in submissions:
        score, comment = MANUAL[submission["student"].rsplit("-", 1)[-1]]
        page.goto(f"{base}/submissions/{submission['id']}/")
        field = page.locator("input.score#explain_speedups")
        field.wait_for()
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as put:
            field.fill(score)
            field.press("Tab")
        assert put.value.status == 200
        box = page.locator("textarea.comment#explain_speedups-comment")
        with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as put:
            box.fill(comment)
            box.press("Tab")
        assert put.value.status == 200
    page.goto(f"{base}/gradebook/{ASSIGNMENT}/{NOTEBOOK}")
    page.screenshot(path=str(ARTIFACTS / "classroom-formgrader.png"), full_page=True)
    context.close()
    return len(submissions)


def _feedback(page, expect, kind):
    _assignments(page, expect)
    rows = page.locator(f"#nbgrader-{COURSE_ID}-{ASSIGNMENT}-submissions > .list_item")
    expect(rows.nth(1)).to_contain_text("feedback available to fetch")
    _rows(page, "submitted").first.locator('.item_status button:text("Fetch Feedback")').click()
    link = page.locator(f'#nbgrader-{COURSE_ID}-{ASSIGNMENT}-submissions a:text("(view feedback)")')
    link.click()
    item = page.locator(f'.jp-DirListing-item:has-text("{NOTEBOOK}.html")').first
    item.dblclick()
    frame = page.frame_locator(".jp-HTMLViewer iframe").first
    heading = frame.locator("h4").first
    heading.wait_for()
    page.screenshot(path=str(ARTIFACTS / f"classroom-{kind}-feedback.png"))
    return heading.inner_text(), frame.locator("body").inner_text()


def test_a_class_fetches_submits_and_reads_its_feedback_in_the_browser(bubblewrap):
    require_chromium()
    require_classroom()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=WAIT_MS)
    with classroom_for_test(students=0) as classroom:
        instructor = classroom.settings.instructor
        # three students whose ids say what they write (the ids are their Unix names)
        roster = classroom.settings.state_dir / "three.csv"
        prefix = instructor[:-1]
        kinds = {f"{prefix}-full": "full", f"{prefix}-partial": "partial", f"{prefix}-hostile": "hostile"}
        roster.write_text("id,name,email\n" + "".join(f"{s},{k.title()} Student,\n" for s, k in kinds.items()))
        from gillab.classroom import accounts

        classroom.add_students(roster)
        for student in kinds:
            accounts.set_password(student, PASSWORD)
        released = run_as(classroom, instructor, f"gillab grade release {ASSIGNMENT} --exchange", cwd="course")
        assert released.returncode == 0, released.stderr  # step 1
        code, written = _answers(classroom)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=require_chromium(), headless=True,
                                                 args=CHROMIUM_ARGS)
            try:
                pages, verdicts = {}, {}
                for student, kind in kinds.items():  # step 2
                    context, page = _login(browser, classroom, student)
                    pages[student] = page
                    verdicts[kind] = _student_submits(page, expect, code[kind], written[kind], kind)
                assert "Success! Your notebook passes all the tests." in verdicts["full"], verdicts
                assert "Success!" not in verdicts["partial"] and "Success!" not in verdicts["hostile"], verdicts

                for step in (f"gillab grade collect {ASSIGNMENT} exchange",  # step 3
                             f"gillab grade autograde {ASSIGNMENT} --jobs 2"):
                    done = run_as(classroom, instructor, step, cwd="course")
                    assert done.returncode == 0, step + "\n" + done.stdout + done.stderr
                assert _formgrader(browser, classroom, expect) == 3
                released = run_as(classroom, instructor, f"gillab grade feedback {ASSIGNMENT} --exchange",
                                  cwd="course")
                assert released.returncode == 0, released.stdout + released.stderr
                exported = run_as(classroom, instructor, "gillab grade export --csv -", cwd="course")
                rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
                assert rows[f"{prefix}-hostile"]["status"] == "kernel died", rows
                scores = {kinds[s]: float(row["score"]) for s, row in rows.items()}
                assert scores["full"] == float(rows[f"{prefix}-full"]["max_score"]) > scores["partial"]
                assert scores["partial"] > scores["hostile"]

                for student, kind in kinds.items():  # step 4
                    heading, text = _feedback(pages[student], expect, kind)
                    maximum = float(rows[student]["max_score"])
                    assert f"{NOTEBOOK} (Score: {scores[kind]:.1f} / {maximum:.1f})" in heading, heading
                    assert MANUAL[kind][1] in text, kind
                    if kind == "hostile":  # the autograder's note says what happened to it
                        assert "kernel died" in text, text[:2000]
            finally:
                browser.close()
