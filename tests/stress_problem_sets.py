"""Do the problem sets' grading tests ever flake? Grade the same submissions many times in a row.

Not part of ``make test`` (the name does not start with ``test_``); run it with
``make stress-grading`` (``ROUNDS=30`` by default), which runs this file explicitly:

- ``GILLAB_STRESS_ROUNDS``: how many times each submission is graded (default 30);
- ``GILLAB_STRESS_CASES``: ``full`` (default) grades the submissions that must get full marks (the
  solutions and the legitimate variants: the ones a timing-dependent test would fail by accident);
  ``all`` grades every fixture, the cheats too.

Each round is a separate student in the same ``nbgrader autograde`` run, so every submission gets a
fresh kernel (and fresh joblib workers), exactly as in real grading. Once on this machine as it is,
once under a Binder-like 1-CPU quota.
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
            wrong = mismatches(cases[case]["scores"], scores)
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
