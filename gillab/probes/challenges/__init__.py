"""Chapter challenges: the learner writes code in a chapter, and a check cell proves at once what that
code really did, from what ran where, and says what to change.

One module per challenge, named by its topic; :data:`CHALLENGES` lists them by chapter:

- :mod:`~gillab.probes.challenges.race_lock` (01): stop the race with a lock.
- :mod:`~gillab.probes.challenges.four_threads` (02): the video's sum of 1..20 on four threads.
- :mod:`~gillab.probes.challenges.predict_threads` (03): predict, then measure your own work on threads.
- :mod:`~gillab.probes.challenges.responsive_chat` (04): load friends and messages at once, UI still redrawing.
- :mod:`~gillab.probes.challenges.joblib_chunks` (05): hand the chunks to ``joblib.Parallel``.
- :mod:`~gillab.probes.challenges.break_even` (05): this machine's break-even size, from the chapter's table.
- :mod:`~gillab.probes.challenges.hashing_threads` (06): threads on work that releases the GIL.
- :mod:`~gillab.probes.challenges.interpreter_chunks` (06): hand the chunks to an ``InterpreterPoolExecutor``
  (Python 3.13+; elsewhere the check says why it cannot run the answer).
- :mod:`~gillab.probes.challenges.dask_chunks` (07): hand the chunks to the Dask cluster.

What they share: :mod:`~gillab.probes.challenges.judging` (the :class:`~.judging.Verdict`, the
:class:`~.judging.Challenge` that looks up the answers and handles stubs and the learner's
exceptions, and the printed form every check uses), :mod:`~gillab.probes.challenges.stubs` ("not
attempted yet"), and :mod:`~gillab.probes.challenges.chunk_evidence` (for challenges whose work goes
through a course function such as ``count_sum``). The instruments themselves are the probes beside
this folder: :mod:`gillab.probes.chunk_probe`, :mod:`gillab.probes.chat_requests`,
:mod:`gillab.probes.tripwire`, :mod:`gillab.probes.shared_counter`, :mod:`gillab.probes.interpreter_probe` and
:mod:`gillab.probes.dask_tasks`.

The rules every check follows:

- It decides from what ran where (process and thread ids, the order of events, a rendezvous that
  only workers running together can meet, a server's log), never from a timing. Measurements may
  be shown beside the verdict as facts.
- It prints a :class:`~.judging.Verdict` and raises nothing for a wrong answer: PASSED, NOT YET
  (what happened, in the learner's terms, and what to change) or "not attempted yet" (the answer
  cell is still its stub). Chapters run unattended (nbval, ``make bench``, Binder) with untouched
  stubs, so an untouched stub must give "not attempted yet" quickly.
- Handing the whole job to the course's own helper does not pass: a
  :func:`~gillab.probes.tripwire.forbid_calls` tripwire names the helper.
- It gives the right verdict with the GIL off too (``make test-ft``): it never relies on the GIL to
  lose an update or to keep threads apart.

How to add a challenge (to a chapter, or to a new chapter such as Dask's or subinterpreters'):

1. Write ``gillab/probes/challenges/<topic>.py`` with a ``_judge(namespace) -> Verdict`` that
   reads the answers from the notebook's namespace, calls the learner's code through
   :func:`~.judging.call_answer` under the right probe, and returns :func:`~.judging.passed`,
   :func:`~.judging.not_yet` (one specific message per mistake you can recognise);
   ``CHALLENGE = Challenge("NN", "title", ("answer_name", ...), _judge)`` and a documented
   ``check(namespace)`` calling ``CHALLENGE.check``. Give the module a doctest. A new instrument
   (something to stand in for a course function, a server, a lock) goes beside the other probes in
   ``gillab/probes/``, not in this folder. Add the module to :data:`CHALLENGES`.
2. In the chapter: a markdown cell with the task (end it by naming the answer and what the check
   looks at); the answer cell, tagged ``challenge-answer`` in its metadata (``"tags":
   ["challenge-answer"]``: only such cells may define functions, tests/test_course_notebooks.py),
   holding the stub (each function's docstring and :data:`~.stubs.STUB_LINE`, each value ``...``);
   the check cell, ``from gillab.probes.challenges import <topic>`` and ``<topic>.check(globals())``;
   then a markdown cell with the worked solution folded in ``<details>``.
3. In tests/test_course_challenges.py: the worked solution and at least two typical wrong answers,
   each with words its verdict must contain; unit tests of the module's judge in
   tests/test_probes_challenges.py.

>>> sorted(CHALLENGES)
['01', '02', '03', '04', '05', '06', '07']
"""

__all__ = ["CHALLENGES"]

#: The challenge modules of each chapter, in the order they appear there.
CHALLENGES = {
    "01": ("race_lock",),
    "02": ("four_threads",),
    "03": ("predict_threads",),
    "04": ("responsive_chat",),
    "05": ("joblib_chunks", "break_even"),
    "06": ("hashing_threads", "interpreter_chunks"),
    "07": ("dask_chunks",),
}
