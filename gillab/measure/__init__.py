"""How the course's numbers are made: the work, how it is cut and run, and how it is timed.

- :mod:`~gillab.measure.workloads`: the work functions (``count_sum`` holds the GIL; others release it or wait).
- :mod:`~gillab.measure.chunks`: ``split_range``, cutting ``1..n`` into one chunk per worker.
- :mod:`~gillab.measure.runners`: run chunks serially, on threads or in processes, recording what ran where and when.
- :mod:`~gillab.measure.timing`: the one timing helper (``time_call``), speedup, Amdahl's law.
- :mod:`~gillab.measure.speedup`: serial and parallel runs timed in pairs; the one break-even rule.
- :mod:`~gillab.measure.calibrate`: the one calibration loop (how fast this machine does a workload).
"""
