"""One module per phenomenon a chapter measures.

- :mod:`~gillab.experiments.race`: lost updates on a shared counter, and the lock that prevents them (01).
- :mod:`~gillab.experiments.thread_start`: the fixed cost of starting threads against the work (02).
- :mod:`~gillab.experiments.turns`: which thread made progress when; the switch interval (03).
- :mod:`~gillab.experiments.convoy`: how late a waiting thread wakes while busy threads hold the GIL (03).
- :mod:`~gillab.experiments.io_tasks`: fetching URLs serially or on threads; a UI loop that freezes (04).
- :mod:`~gillab.experiments.async_fetch`: the same requests with asyncio (04).
- :mod:`~gillab.experiments.process_costs`: starting worker processes, pickling arguments, break-even (05).
- :mod:`~gillab.experiments.free_threading`: what a thread speedup means on this kernel, GIL on or off (06).
- :mod:`~gillab.experiments.three_ways`: processes, subinterpreters and free-threaded threads, and what each costs (06).
- :mod:`~gillab.experiments.cluster_costs`: what handing work to a Dask cluster costs: round trip, data, chunks (07).
- :mod:`~gillab.experiments.worker_gil`: the GIL inside a Dask worker: 1 worker x 2 threads against 2 x 1 (07).
- :mod:`~gillab.experiments.cluster_sum`: the sum on a cluster against one loop and joblib, or the recorded result (07).
"""
