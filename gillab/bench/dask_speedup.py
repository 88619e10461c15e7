"""The ``dask`` section: the course's sum on a local Dask cluster of 2 worker processes against one loop,
and against 2 joblib processes in the same run, plus what the cluster costs per task.

It starts its own cluster (:func:`gillab.measure.cluster.connect`, 2 workers of one thread each, on
127.0.0.1), calibrates the sum so that the serial loop takes about the settings' target time, and
calls :func:`gillab.experiments.cluster_sum.measure_cluster_sum`: every run is paired with a serial
run made just before it. A section looks like (each ``{...}`` a median/min/max/repeats summary)::

    {"workers": 2, "n": 44000000, "calibration": {...}, "serial_s": {...},
     "dask": [{"workers": 2, "seconds": {...}, "speedup": {...}, "distinct_processes": 2, ...}],
     "processes": [{"workers": 2, ...}], "dask_over_processes": {...},
     "per_task_s": {...}, "round_trip_s": {...}, "others_cpu_cores": 0.04, "results_agree": true}

Each round runs serial, the cluster, serial, joblib (rotating), so the cluster and joblib are compared
within a round (``dask_over_processes``: joblib's seconds over the cluster's), never across moments.

``others_cpu_cores`` is how many CPUs other programs kept busy meanwhile: the goal (at least 1.6x on
2 idle cores, :mod:`gillab.bench.goals`) is not judged on a busy machine. Without ``distributed``
installed the section is ``"not available"``, with the reason.
"""

from __future__ import annotations

import importlib.util

from ..measure.calibrate import size_for_seconds
from ..measure.workloads import count_sum

__all__ = ["measure_dask", "WORKERS"]

#: Worker processes of the cluster: the goal is for 2.
WORKERS = 2


def measure_dask(target_s: float, repeats: int, on_progress=None) -> dict:
    """The section, measured now (see the module's description)."""
    if importlib.util.find_spec("distributed") is None:
        return {"status": "not available", "reason": "dask's distributed is not installed in this Python"}
    from ..experiments.cluster_sum import measure_cluster_sum
    from ..measure.cluster import connect

    if on_progress is not None:
        on_progress(0, None, f"calibrating the sum to about {target_s:g} s, starting {WORKERS} Dask workers")
    calibration = size_for_seconds(count_sum, target_s)
    with connect(n_workers=WORKERS):
        section = measure_cluster_sum(calibration["n"], WORKERS, repeats, on_progress=on_progress)
    return {"calibration": calibration, **section}
