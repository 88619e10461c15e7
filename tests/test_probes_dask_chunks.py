"""Chapter 07's challenge check (gillab.probes.challenges.dask_chunks) on a cluster started as on real
machines (the ``dask_cluster`` fixture: ``dask scheduler`` and two ``dask worker`` programs): the
untouched stub, the worked solution and each typical wrong answer of
tests/support/challenge_answers.py, typed as a learner would (the source runs as the notebook's
``__main__``, so Dask pickles the learner's functions by value, as in a kernel), each with its own verdict.

Nothing is timed: the verdicts come from what the tasks recorded and from the scheduler's record.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from joblib import Parallel, delayed, parallel_config
from support.challenge_answers import CASES, SOLUTION

from gillab.measure.cluster import connect
from gillab.measure.runners import run_dask
from gillab.measure.workloads import count_sum
from gillab.probes.challenges import CHALLENGES, dask_chunks
from gillab.probes.challenges.judging import STATUS_WORDS

pytestmark = pytest.mark.slow


def namespace(client) -> dict:
    """What chapter 07 has defined when its challenge comes (the imports and the client)."""
    return {"__name__": "__main__", "count_sum": count_sum, "client": client, "Parallel": Parallel,
            "delayed": delayed, "parallel_config": parallel_config, "run_dask": run_dask}


def printed_check(names: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        dask_chunks.check(names)
    return out.getvalue()


def test_the_challenge_is_listed_with_a_solution_and_at_least_two_wrong_answers_each_with_its_own_words():
    assert CHALLENGES["07"] == ("dask_chunks",)
    cases = CASES["dask_chunks"]
    assert [case.name for case in cases].count(SOLUTION) == 1
    wrong = [case for case in cases if case.status == STATUS_WORDS["not yet"]]
    assert len(wrong) >= 2 and len({case.words for case in wrong}) == len(wrong)


def test_without_a_cluster_the_check_says_so_and_raises_nothing():
    names = namespace(None)
    exec(CASES["dask_chunks"][1].source, names)  # the solution, but no cluster is connected
    text = printed_check(names)
    assert "Not attempted yet - no Dask cluster is connected in this notebook" in text


@pytest.fixture(scope="module")
def chapter_client(dask_cluster):
    with connect(dask_cluster.address) as connection:
        yield connection.client


@pytest.mark.parametrize("case", CASES["dask_chunks"], ids=lambda case: case.name)
def test_each_answer_gets_its_own_verdict(chapter_client, case):
    names = namespace(chapter_client)
    exec(case.source, names)
    text = printed_check(names)
    lines = text.splitlines()
    assert lines[0] == "Check: hand the chunks to the cluster (chapter 07)"
    assert lines[1].startswith(case.status + " - "), text
    missing = [word for word in case.words if word not in text]
    assert not missing, f"{missing} not in:\n{text}"
