"""Facts about the machine and the Python the course runs on.

- :mod:`~gillab.machine.cpus`: the CPUs this process can really use (affinity, cgroup quota), the CPU model.
- :mod:`~gillab.machine.topology`: cores, hardware threads, software threads.
- :mod:`~gillab.machine.interpreter`: free-threaded build? GIL on now? the start method; free-threaded kernels.
- :mod:`~gillab.machine.procfs`: the one reader of ``/proc`` (processes, threads, their CPU time).
- :mod:`~gillab.machine.doctor`: ``gillab doctor``, every fact above in one report.
"""
