"""Chapter 06's subinterpreter challenge (gillab.probes.challenges.interpreter_chunks): the stub is
"not attempted yet" on every Python; on a Python without subinterpreters the check says why, without
running the answer. (Each worked solution and wrong answer of tests/support/challenge_answers.py gets
its verdict in tests/test_probes_challenges.py, and typed into the chapter in
tests/test_course_challenges.py; the verdicts are decided from what ran where, never from a timing.)
"""

from __future__ import annotations

import textwrap

from support.skips import require_no_subinterpreters

from gillab.probes.challenges import interpreter_chunks
from gillab.probes.challenges.judging import STATUS_WORDS

#: What the chapter's cells above the challenge import, which an answer may use.
PRELUDE = """
from concurrent.futures import ThreadPoolExecutor
from gillab.measure.interpreter_pool import InterpreterPoolExecutor
from gillab.measure.workloads import count_sum
"""


def verdict(source: str):
    namespace = {"__name__": "__main__"}
    exec(textwrap.dedent(PRELUDE) + source, namespace)
    return interpreter_chunks.CHALLENGE.verdict(namespace)


def test_the_untouched_stub_is_not_attempted_yet_on_every_python():
    found = verdict('def sum_in_interpreters(chunks, n_interpreters):\n    """Yours."""\n'
                    '    raise NotImplementedError("write your answer here")\n')
    assert found.status == "not attempted yet"


def test_a_python_without_subinterpreters_gets_the_reason_and_where_to_go_without_running_the_answer():
    support = require_no_subinterpreters()
    ran = []
    namespace = {"__name__": "__main__", "sum_in_interpreters": lambda chunks, n: ran.append(n) or 0}
    found = interpreter_chunks.CHALLENGE.verdict(namespace)
    assert found.status == "not yet" and not ran
    assert support.detail in found.happened and "Python 3.13 (standard build)" in found.change
    assert STATUS_WORDS["not yet"] in found.text("x")
