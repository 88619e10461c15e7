"""Chapter challenges: the learner writes code in a chapter, and a check cell proves at once what that
code really did, from what ran where, and says what to change.

One module per challenge, named by its topic; :data:`CHALLENGES` lists them by chapter:

- :mod:`~gillab.probes.challenges.dask_chunks` (07): hand the chunks to the Dask cluster.

What they share: :mod:`~gillab.probes.challenges.judging` (the :class:`~.judging.Verdict`, the
:class:`~.judging.Challenge` that looks up the answers and handles stubs and the learner's
exceptions, and the printed form every check uses) and :mod:`~gillab.probes.challenges.stubs`
("not attempted yet"). The instruments themselves are the probes beside this folder
(:mod:`gillab.probes.dask_tasks` for chapter 07).

The rules every check follows: it decides from what ran where, never from a timing; it prints a
verdict (PASSED, NOT YET with what to change, or "not attempted yet" for an untouched stub) and
raises nothing for a wrong answer, so chapters run unattended; handing the whole job to the course's
own helper does not pass; it gives the right verdict with the GIL off too.

>>> sorted(CHALLENGES)
['07']
"""

__all__ = ["CHALLENGES"]

#: The challenge modules of each chapter, in the order they appear there.
CHALLENGES = {
    "07": ("dask_chunks",),
}
