"""How the course's numbers are made: the work, how it is cut and run, and how it is timed.

- :mod:`~gillab.measure.workloads`: the work functions (``count_sum`` holds the GIL; others release it or wait).
- :mod:`~gillab.measure.chunks`: ``split_range``, cutting ``1..n`` into one chunk per worker.
- :mod:`~gillab.measure.runners`: run chunks serially, on threads, in processes, in subinterpreters or on a Dask
  cluster, recording what ran where and when.
- :mod:`~gillab.measure.subinterpreters`: the subinterpreter runner (3.13+); what cannot cross between interpreters.
- :mod:`~gillab.measure.interpreter_pool`: an ``InterpreterPoolExecutor`` that says what went wrong instead of hanging.
- :mod:`~gillab.measure.cluster`: a Dask cluster to run chunks on (a local one, or a scheduler's address).
- :mod:`~gillab.measure.timing`: the one timing helper (``time_call``), speedup, Amdahl's law.
- :mod:`~gillab.measure.speedup`: serial and parallel runs timed in pairs; the one break-even rule.
- :mod:`~gillab.measure.calibrate`: the one calibration loop (how fast this machine does a workload).
"""
