"""Do the problem sets' grading tests ever flake? Grade the same submissions many times in a row.

Not part of ``make test`` (the name does not start with ``test_``); run it with
``make stress-grading`` (``ROUNDS=30`` by default), which runs this file explicitly:

- ``GILLAB_STRESS_ROUNDS``: how many times each submission is graded (default 30);
- ``GILLAB_STRESS_CASES``: ``full`` (default) grades the submissions that must get full marks (the
  solutions and the legitimate variants: the ones a timing-dependent test would fail by accident);
  ``all`` grades every fixture, the cheats too.

Each round is a separate student in the same ``nbgrader autograde`` run, so every submission gets a
fresh kernel (and fresh joblib workers), exactly as in real grading. Once on this machine as it is,
once under a Binder-like 1-CPU quota; then the same with ``gillab grade autograde --jobs 2``
(sandboxed, with the witness), where each submission must also end with its expected status.
"""

from __future__ import annotations

import os
import time
from collections import Counter

from support.problem_set_course import ASSIGNMENTS, FIXTURES, expected, failure_report, grade_all, mismatches

ROUNDS = int(os.environ.get("GILLAB_STRESS_ROUNDS", "30"))
WHICH = os.environ.get("GILLAB_STRESS_CASES", "full")


def stress_plans() -> dict[str, dict]:
    plans = {}
    for assignment in ASSIGNMENTS:
        spec = expected(assignment)
        full = sum(spec["autograded_points"].values())
        cases = [case for case, want in spec["cases"].items() if WHICH == "all" or want["total"] == full]
        plans[assignment] = {
            f"{case}-r{round_:02d}": FIXTURES / assignment / f"{case}.ipynb"
            for round_ in range(1, ROUNDS + 1)
            for case in cases
        }
    return plans


def check_every_round(graded, label: str, seconds: float) -> None:
    problems, counts = [], Counter()
    for assignment, grading in graded.items():
        cases = expected(assignment)["cases"]
        for student, scores in sorted(grading.scores.items()):
            case = student.rsplit("-r", 1)[0]
            wrong = mismatches(cases[case]["plain_nbgrader_scores"], scores)
            counts[(assignment, "as expected" if not wrong else "NOT as expected")] += 1
            if wrong:
                problems.append(
                    f"{assignment}/{student}: {'; '.join(wrong)}\n"
                    + failure_report(grading.course_of(student), assignment, student)
                )
        missing = set(stress_plans()[assignment]) - set(grading.scores)
        problems += [f"{assignment}/{student}: not graded" for student in sorted(missing)]
    summary = ", ".join(f"{assignment} {verdict}: {count}" for (assignment, verdict), count in sorted(counts.items()))
    print(f"\n[{label}] {ROUNDS} rounds, cases={WHICH}, {seconds:.0f} s: {summary}")
    assert not problems, f"{len(problems)} gradings differ from expected.json:\n" + "\n".join(problems[:20])


def test_grading_gives_the_expected_scores_every_round(released_course, tmp_path):
    started = time.perf_counter()
    graded = grade_all(released_course, tmp_path, stress_plans(), groups=2)
    check_every_round(graded, "this machine", time.perf_counter() - started)


def test_grading_gives_the_expected_scores_every_round_on_one_cpu(released_course, tmp_path, binder_sim):
    started = time.perf_counter()
    graded = grade_all(released_course, tmp_path, stress_plans(), groups=2, prefix=(binder_sim, "--cpus", "1", "--"))
    check_every_round(graded, "binder-sim --cpus 1", time.perf_counter() - started)


def _grade_with_gillab(tmp_path, prefix: tuple = ()) -> list[str]:
    """Every plan graded by ``gillab grade autograde --jobs 2``; the problems found, if any."""
    import subprocess
    import sys

    import nbformat
    import support.grading_corpus as corpus
    from support.problem_set_course import read_scores

    from gillab.grading.outcome import load_outcomes
    from gillab.grading.submissions import write_submission

    under_test = {"ps1_parallel_sum": corpus.PS1, "ps2_io_threads": corpus.PS2}
    problems, counts = [], Counter()
    for assignment, plan in stress_plans().items():
        course = corpus.released_course(tmp_path / assignment, under_test[assignment])
        for student, path in plan.items():
            notebook = nbformat.read(path, as_version=4)
            write_submission(course / "grader" / "submitted", student, assignment, ASSIGNMENTS[assignment], notebook)
        command = [*prefix, sys.executable, "-m", "gillab", "grade", "autograde", assignment, "--jobs", "2",
                   "--course", str(course)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=7200)
        scores, outcomes = read_scores(course, assignment), load_outcomes(course / "grader" / "outcomes", assignment)
        cases = expected(assignment)["cases"]
        for student in plan:
            case = student.rsplit("-r", 1)[0]
            outcome = outcomes.get(student)
            wrong = [] if outcome is not None else [f"no outcome ({done.stderr[-300:]})"]
            if outcome is not None and outcome.status != cases[case]["status"]:
                wrong.append(f"status {outcome.summary()}, expected {cases[case]['status']}")
            if outcome is not None and cases[case]["status"] == "graded":
                wrong += mismatches(cases[case]["scores"], scores.get(student, {}))
            counts[(assignment, "as expected" if not wrong else "NOT as expected")] += 1
            problems += [f"{assignment}/{student}: {'; '.join(wrong)}"] if wrong else []
    print(f"\n[gillab grade{' under ' + ' '.join(map(str, prefix)) if prefix else ''}] {ROUNDS} rounds: "
          + ", ".join(f"{a} {v}: {c}" for (a, v), c in sorted(counts.items())))
    return problems


def test_gillab_grade_gives_the_expected_scores_and_status_every_round(tmp_path):
    problems = _grade_with_gillab(tmp_path)
    assert not problems, f"{len(problems)} gradings differ:\n" + "\n".join(problems[:20])


def test_gillab_grade_gives_the_expected_scores_and_status_every_round_on_one_cpu(tmp_path, binder_sim):
    problems = _grade_with_gillab(tmp_path, prefix=(str(binder_sim), "--cpus", "1", "--"))
    assert not problems, f"{len(problems)} gradings differ:\n" + "\n".join(problems[:20])

