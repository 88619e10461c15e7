"""GIL Lab: the workloads, runners, measurements, labs and plots behind the course's notebooks.

Each module has one job; see their docstrings. The ones a notebook uses most:

- :mod:`gillab.chunks` (``split_range``), :mod:`gillab.workloads` (``count_sum`` and friends)
- :mod:`gillab.runners` (``run_serial``, ``run_threads``, ``run_processes``)
- :mod:`gillab.measure` (``time_call``, ``speedup``, ``fit_amdahl``)
- :mod:`gillab.hardware` (``effective_cpu_count``), :mod:`gillab.doctor` (``show``)
- :mod:`gillab.chat_api` (the video's chat server), :mod:`gillab.plots` (charts)
"""

__version__ = "0.1.0"
