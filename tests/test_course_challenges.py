"""The chapters' challenges, in copies of the chapters: each chapter runs cell by cell in a real kernel
(this environment's, so ``make test-ft`` runs it free-threaded); at each challenge the untouched
stub's check must say "not attempted yet" without raising, then the worked solution and the typical
wrong answers of tests/support/challenge_answers.py are typed into the answer cell one after another,
and each check must print its own verdict.

Nothing here times anything: the verdicts are decided from what ran where.
"""

from __future__ import annotations

import pytest
from support.challenge_answers import CASES, SOLUTION, expected_status, expected_words
from support.chapter_kernel import challenges_in, chapter_kernel
from support.paths import REPO

from gillab.machine.cpus import effective_cpu_count
from gillab.machine.interpreter import gil_enabled, subinterpreter_support
from gillab.probes.challenges import CHALLENGES
from gillab.probes.challenges.judging import STATUS_WORDS

pytestmark = pytest.mark.slow

CHAPTERS = sorted(path.name for path in (REPO / "course").glob("*.ipynb") if path.name[:2] in CHALLENGES)


def verdict_status(text: str) -> str | None:
    """The status word on the line after ``Check: ...``."""
    lines = text.splitlines()
    for index, line in enumerate(lines[:-1]):
        if line.startswith("Check: "):
            return lines[index + 1].split(" - ")[0]
    return None


def test_every_challenge_module_has_a_solution_and_at_least_two_wrong_answers():
    for chapter, modules in CHALLENGES.items():
        for module in modules:
            cases = CASES.get(module, [])
            assert [case.name for case in cases].count(SOLUTION) == 1, f"{chapter}: {module} has no solution"
            wrong = [case for case in cases if case.status == STATUS_WORDS["not yet"]]
            assert len(wrong) >= 2, f"{chapter}: {module} has {len(wrong)} wrong answers"
            assert len({case.words for case in wrong}) == len(wrong), f"{module}: two wrong answers, one message"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_challenge_check_gives_the_stub_the_solution_and_each_wrong_answer_its_own_verdict(chapter, tmp_path):
    import nbformat

    challenges = challenges_in(nbformat.read(REPO / "course" / chapter, as_version=4))
    assert [challenge.module for challenge in challenges] == list(CHALLENGES[chapter[:2]])
    gil, cpus, subinterpreters = gil_enabled(), effective_cpu_count(), subinterpreter_support().available
    problems = []
    with chapter_kernel(chapter, tmp_path) as run:
        for challenge in challenges:
            stub = run.run_until(challenge.check_id)
            if verdict_status(stub) != STATUS_WORDS["not attempted yet"]:
                problems.append(f"{challenge.module}, untouched stub: {stub!r}")
            for case in CASES[challenge.module]:
                run.run(challenge.answer_id, case.source)
                text = run.run(challenge.check_id)
                missing = [word for word in expected_words(challenge.module, case, gil, cpus) if word not in text]
                status = expected_status(challenge.module, case, subinterpreters)
                if verdict_status(text) != status or missing:
                    problems.append(f"{challenge.module}, {case.name}: expected {status} with {missing}, got:\n{text}")
    assert not problems, "\n\n".join(problems)
