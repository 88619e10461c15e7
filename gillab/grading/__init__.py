"""The instructor's grading pipeline behind ``gillab grade``, wrapping nbgrader.

One module per job:

- :mod:`~gillab.grading.course`: the course folder and its nbgrader configuration.
- :mod:`~gillab.grading.release`, :mod:`~gillab.grading.collect`: generate the student version;
  import submissions from a folder, a zip or nbgrader's exchange.
- :mod:`~gillab.grading.autograde`: grade every submission in parallel, each in a sandbox,
  using :mod:`~gillab.grading.pool` (worker processes), :mod:`~gillab.grading.worker` (one
  submission through nbgrader's ``Autograde``), :mod:`~gillab.grading.execute` (nbgrader's
  ``Execute`` in a sandbox, with timeouts and an outcome), :mod:`~gillab.grading.sandbox.kernel_manager`,
  :mod:`~gillab.grading.sandbox.bwrap` and :mod:`~gillab.grading.sandbox.entry` (bubblewrap),
  :mod:`~gillab.grading.restore_cells` (deleted and edited test cells),
  :mod:`~gillab.grading.gradebook` (the single writer), :mod:`~gillab.grading.outcome`
  (statuses) and :mod:`~gillab.grading.progress`.
- :mod:`~gillab.grading.tamper_scan` (before a submission runs: does it reach for the grader's
  instruments?), :mod:`~gillab.grading.witness` (the worker's own judge of the parallelism tests, from
  /proc), :mod:`~gillab.grading.review` (``gillab grade review``, the instructor's decision) and
  :mod:`~gillab.grading.clear_evidence` (keeps the witness's expectations out of the student version).
- :mod:`~gillab.grading.feedback`, :mod:`~gillab.grading.export`, :mod:`~gillab.grading.report`:
  what students and instructors get afterwards.
- :mod:`~gillab.grading.canvas_export`: ``export --format canvas``, grades as Canvas's gradebook CSV.
- :mod:`~gillab.grading.late_penalty`: a late-penalty rule for nbgrader's configuration.
- :mod:`~gillab.grading.submissions`: build submissions from notebooks (tests, benchmark).
- :mod:`~gillab.grading.benchmark`: ``gillab grade autograde`` against plain ``nbgrader autograde``.
- :mod:`~gillab.grading.grade_command`: the command line (``gillab grade STEP``).

Importing this package imports nothing heavy; nbgrader loads when a step runs.
"""
