"""Chapter 05's measurements of what worker processes cost, and the importable-worker rule."""

import os
import sys

import pytest

from gillab.experiments import process_costs
from gillab.measure.runners import stop_worker_processes
from gillab.measure.timing import Timing
from gillab.measure.workloads import count_sum


def joblib_worker_pids(n):
    from joblib import Parallel, delayed

    return set(Parallel(n_jobs=n, backend="loky")(delayed(os.getpid)() for _ in range(4)))


def test_stopping_joblib_workers_makes_the_next_call_start_new_ones():
    first = joblib_worker_pids(2)
    stop_worker_processes()
    second = joblib_worker_pids(2)
    assert first and second and not first & second and os.getpid() not in second


def test_worker_start_costs_has_fresh_worker_and_warm_samples():
    costs = process_costs.worker_start_costs(n_workers=2, repeats=2)
    assert isinstance(costs.fresh_workers, Timing) and len(costs.fresh_workers.samples) == 2
    assert len(costs.warm.samples) == 2
    assert "fresh workers (started for this call)" in str(costs)


def test_argument_costs_measure_each_size_three_ways():
    costs = process_costs.argument_costs([10, 100_000], n_workers=2, repeats=2)
    assert [cost.size_bytes for cost in costs] == [10, 100_000]
    for cost in costs:
        assert all(len(timing.samples) == 2 for timing in (cost.pickle, cost.threads, cost.processes))


def test_payload_reaches_every_worker_whole():
    payload = bytes(12345)
    assert process_costs._send(payload, "threads", 3) == 3 * 12345
    assert process_costs._send(payload, "processes", 2) == 2 * 12345


def test_break_even_points_and_the_size_from_which_processes_always_won():
    result = process_costs.break_even([2_000, 1_000], n_workers=2, repeats=1)
    assert [point[0] for point in result.points] == [1_000, 2_000]
    assert all(speedup > 0 and serial > 0 and parallel > 0 for _, speedup, serial, parallel in result.points)
    # a win followed by a loss is not a break-even: the rule gillab bench uses
    noisy = [(10, 0.1, 1, 1), (100, 1.2, 1, 1), (1000, 0.95, 1, 1), (5000, 1.3, 1, 1), (20000, 1.6, 1, 1)]
    assert process_costs.BreakEven(2, noisy).n == 5000
    assert process_costs.BreakEven(2, noisy[:3]).n is None
    assert process_costs.BreakEven(2, [(10, 0.1, 1, 1)]).n is None


@pytest.mark.parametrize(
    "method", sorted(set(process_costs.multiprocessing.get_all_start_methods()) & {"spawn", "forkserver"})
)
def test_pool_sum_runs_in_worker_processes(method):
    run = process_costs.pool_sum(10_000, n_workers=2, start_method=method)
    assert run.result == 10_000 * 10_001 // 2
    assert run.worker_pids and run.caller_pid not in run.worker_pids and run.start_method == method


def test_an_importable_function_runs_in_a_fresh_process():
    outcome = process_costs.run_in_fresh_process(count_sum, 1, 21)
    assert outcome.ok and outcome.value == 210 and "returned 210" in str(outcome)


def test_a_function_only_in_main_cannot_be_found_by_a_fresh_process(monkeypatch):
    def double(number):
        return 2 * number

    # what a function defined in a notebook is: an attribute of this process's __main__ only
    double.__module__ = "__main__"
    double.__name__ = double.__qualname__ = "gillab_test_double_not_in_main"
    monkeypatch.setattr(sys.modules["__main__"], double.__name__, double, raising=False)
    outcome = process_costs.run_in_fresh_process(double, 21)
    assert not outcome.ok and outcome.value is None
    assert "__main__.gillab_test_double_not_in_main" in outcome.error
    assert "Can't get attribute" in outcome.error or "can't get attribute" in outcome.error.lower()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: process_costs.pool_sum(10, start_method="teleport"), "start_method must be one of"),
        (lambda: process_costs.run_in_fresh_process(42), "function must be callable"),
        (lambda: process_costs.argument_costs([]), "at least one size"),
        (lambda: process_costs.argument_costs([10**12]), "size_bytes must be at most"),
        (lambda: process_costs.break_even([]), "at least one problem size"),
        (lambda: process_costs.worker_start_costs(n_workers=0), "n_workers must be a positive int"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


@pytest.mark.parametrize(
    ("version", "platform", "expected"),
    [((3, 11), "linux", "fork"), ((3, 13), "linux", "fork"), ((3, 14), "linux", "forkserver"),
     ((3, 15), "freebsd14", "forkserver"), ((3, 7), "darwin", "fork"), ((3, 8), "darwin", "spawn"),
     ((3, 14), "win32", "spawn")],
)
def test_the_default_start_method_follows_the_python_version_and_the_platform(version, platform, expected):
    assert process_costs.default_start_method(version, platform) == expected


def test_the_start_method_is_explained_from_the_running_python():
    from gillab.machine.interpreter import start_method

    text = process_costs.explain_start_method(start_method(), sys.version_info[:2], sys.platform)
    assert text.startswith(f"This kernel starts worker processes with {start_method()}")
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}" in text
    chosen = process_costs.explain_start_method("spawn", (3, 11), "linux")
    assert "set_start_method" in chosen and "default for Python 3.11 on linux is fork" in chosen
