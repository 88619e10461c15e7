"""Answers to chapter 07's challenge (``gillab.probes.challenges.dask_chunks``), as a learner would type
them into the answer cell: the worked solution and typical wrong answers, each with the status its
check must print and words its verdict must contain (its own message, not just "NOT YET").

Each source is the whole answer cell and uses only what the chapter imported above it (``count_sum``,
``client``, ``Parallel``, ``delayed``, ``parallel_config``). Same shape as the other chapters' cases
(``Case``: name, source, status, words), so that they can live in one table.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

__all__ = ["Case", "CASES", "SOLUTION"]


@dataclass(frozen=True)
class Case:
    """One answer: its ``name``, the answer cell's ``source``, the verdict's ``status`` word
    ("PASSED", "NOT YET", "Not attempted yet") and ``words`` the verdict must contain."""

    name: str
    source: str
    status: str
    words: tuple[str, ...]


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


SOLUTION = "solution"
STUB = _code('''
    def sum_on_cluster(client, chunks):
        """Hand each chunk (lo, hi) to the cluster as a task of count_sum; return the total."""
        raise NotImplementedError("write your answer here")
''')

CASES = {
    "dask_chunks": [
        Case("untouched stub", STUB, "Not attempted yet", ("still the stub",)),
        Case(SOLUTION, _code("""
            def sum_on_cluster(client, chunks):
                futures = client.map(count_sum, [lo for lo, hi in chunks], [hi for lo, hi in chunks])
                return sum(client.gather(futures))
        """), "PASSED", ("workers of the cluster were summing chunks at the same moment", "task stream")),
        Case("joblib's dask backend", _code("""
            def sum_on_cluster(client, chunks):
                with parallel_config(backend="dask"):
                    return sum(Parallel(n_jobs=2)(delayed(count_sum)(lo, hi) for lo, hi in chunks))
        """), "PASSED", ("at the same moment",)),
        Case("submit, then result() one at a time", _code("""
            def sum_on_cluster(client, chunks):
                total = 0
                for lo, hi in chunks:
                    total += client.submit(count_sum, lo, hi).result()
                return total
        """), "NOT YET", ("one after another", "submitted only after the one before had finished")),
        Case("everything on one worker", _code("""
            def sum_on_cluster(client, chunks):
                first = sorted(client.nthreads())[0]
                futures = [client.submit(count_sum, lo, hi, workers=[first]) for lo, hi in chunks]
                return sum(client.gather(futures))
        """), "NOT YET", ("ran on one worker", "workers=")),
        Case("one task for all the chunks", _code("""
            def sum_on_cluster(client, chunks):
                return client.submit(lambda: sum(count_sum(lo, hi) for lo, hi in chunks)).result()
        """), "NOT YET", ("one task summed all 4 chunks",)),
        Case("a serial loop in the notebook", _code("""
            def sum_on_cluster(client, chunks):
                return sum(count_sum(lo, hi) for lo, hi in chunks)
        """), "NOT YET", ("in the notebook's own process",)),
        Case("only the course's runner", _code("""
            def sum_on_cluster(client, chunks):
                return run_dask(count_sum, chunks, client=client).result
        """), "NOT YET", ("handed its work to gillab.measure.runners.run_dask",)),
    ],
}
