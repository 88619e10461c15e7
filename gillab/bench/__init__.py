"""``gillab bench``: what this machine shows about the GIL, measured side by side, as a table and JSON.

Run it with ``make bench`` (``ARGS="--quick"`` for a short run) or ``gillab bench [--quick]
[--out FILE] [--save-reference [FOLDER]] [--course DIR] [--skip SECTION,...]``. The JSON (default
``bench-results.json``) is in the reference schema of :mod:`gillab.show.references` (``"gillab-bench/1"``:
``schema``, ``date``, ``machine``), so ``--save-reference`` can keep it as a reference the course
draws beside a learner's results. Its sections, each with ``status`` (:data:`SECTION_STATUSES`),
``elapsed_s`` and, unless ``"ok"``, a ``reason``:

- ``cpu_sum`` (:mod:`gillab.bench.scaling`): the course's pure-Python sum at a size where the serial
  run takes about 2 s; speedup of threads and of processes for 1 .. 2x the effective CPUs.
- ``subinterpreters`` (:mod:`gillab.bench.subinterpreter_scaling`): the same sum in 1 .. 2x the
  effective CPUs subinterpreters of one process (Python 3.13+; "not available", with the reason,
  before), the start-up of one worker in each way, and the own-GIL probe's answers.
- ``gil_release`` (:mod:`gillab.bench.scaling`): the same for ``hash_blocks`` (releases the GIL) on threads.
- ``io`` (:mod:`gillab.bench.fetching`): 32 requests at 200 ms against the local chat API, serial
  against 32 threads.
- ``joblib_overhead`` (:mod:`gillab.bench.joblib_overhead`) and ``break_even_n``
  (:mod:`gillab.bench.break_even_search`): joblib's cold start and warm call; the smallest sum worth
  sending to processes.
- ``dask`` (:mod:`gillab.bench.dask_speedup`): the sum on a local Dask cluster of 2 worker processes
  against serial (serial about 2 s), 2 joblib processes in the same run, and the cluster's cost per task.
- ``course_run_s`` (:mod:`gillab.bench.course_run`): every course notebook executed headless.
- ``autograde`` (:mod:`gillab.bench.grading_section`): the grading pipeline's benchmark, when installed.

Around the sections: :mod:`gillab.bench.bench_command` (the command), :mod:`gillab.bench.bench_settings`
(the full run's sizes and the quick run's), :mod:`gillab.bench.run` (every section in turn) and
:mod:`gillab.bench.table` (the printed table).

Every ratio is the median of at least 5 paired repeats, with min and max. ``goals`` holds each goal
of the benchmark as met, missed, not measured or not judged (:mod:`gillab.bench.goals`); none is an error.
"""

from .bench_settings import FULL, QUICK, BenchSettings, settings_for
from .run import SECTION_STATUSES, SECTIONS, run_benchmark
from .table import format_table

__all__ = [
    "run_benchmark",
    "SECTIONS",
    "SECTION_STATUSES",
    "BenchSettings",
    "FULL",
    "QUICK",
    "settings_for",
    "format_table",
]
