"""What problem-set and chapter check cells import: instruments that run in the LEARNER's kernel.

They prove from what ran where that a learner's code ran in parallel, and say what to change when
it did not. The grader (:mod:`gillab.grading`, on the instructor's host) never trusts them alone.

- :mod:`~gillab.probes.chunk_probe`: stands in for ``count_sum``; records which process and thread ran each chunk, when.
- :mod:`~gillab.probes.interpreter_probe`: the same across subinterpreters: which interpreter, and all k at once.
- :mod:`~gillab.probes.own_gil`: does another worker run Python while this one holds its GIL? (no timing)
- :mod:`~gillab.probes.chat_requests`: a chat server that gathers requests; its log shows how many were in flight.
- :mod:`~gillab.probes.dask_tasks`: stands in for ``count_sum`` in a Dask cluster's tasks; says which worker ran each.
- :mod:`~gillab.probes.tripwire`: counts calls of course helpers a learner was asked not to use.
- :mod:`~gillab.probes.shared_counter`: a counter and a lock that record who read, wrote and held them, in order.
- :mod:`~gillab.probes.challenges`: the chapters' challenges, one module each, and what their check cells share.
- :mod:`~gillab.probes.chunk_rules`: the rules a probed chunked run must satisfy, as pure functions (the grader's
  witness applies the same ones).
- :mod:`~gillab.probes.evidence`: what a probe writes for the grader's witness, outside the kernel.
- :mod:`~gillab.probes.verdicts`: ``GradingFailure`` and the checks that raise it.
- :mod:`~gillab.probes._binding`: putting a stand-in where a notebook and a module bind a function.
"""
