"""The video's claims beside the learner's numbers: each verdict follows from the numbers given."""

import pytest

from gillab.show import claims


def box(check):
    lines = str(check).splitlines()
    assert [line[:2] for line in lines] == ["┌ ", "├ ", "└ "]
    return lines


def test_a_box_names_the_claim_the_measurement_and_the_verdict():
    lines = box(claims.four_cores(cores=4, hardware_threads=8, effective_cpus=8))
    assert lines[0].endswith("a typical CPU in 2023 has four cores.")
    assert "4 cores and 8 hardware threads" in lines[1] and lines[2].endswith("true here: four cores.")


def test_a_machine_with_other_than_four_cores_is_not_what_you_measured():
    assert claims.four_cores(2, 2, 1).verdict.startswith("not what you measured, because")
    assert "cores not reported" in claims.four_cores(None, 8, 8).measured


@pytest.mark.parametrize(
    ("speedup", "gil_on", "cpus", "small", "verdict"),
    [
        (0.005, True, 4, True, "not what you measured, because starting and joining"),
        (0.95, True, 4, False, "not what you measured, because under the GIL"),
        (0.95, False, 1, False, "not what you measured, because this Python may use one CPU"),
        (3.8, False, 4, False, "true here"),
        (1.8, False, 2, False, "true only for as many threads as free CPUs"),
        (1.1, False, 4, False, "not what you measured, because other programs"),
    ],
)
def test_four_threads_four_times_faster_follows_the_measured_speedup(speedup, gil_on, cpus, small, verdict):
    check = claims.threads_four_times_faster(speedup, 4, gil_on, cpus, "the sum", small_job=small)
    assert check.verdict.startswith(verdict)


def test_a_slowdown_is_said_as_times_slower():
    assert "200 times SLOWER" in claims.threads_four_times_faster(0.005, 4, True, 2, "it").measured


def test_the_gil_claim_is_true_only_for_threads_of_one_interpreter_and_false_without_the_gil():
    assert claims.gil_forbids_parallelism(True, 2).verdict.startswith("true only for Python bytecode")
    off = claims.gil_forbids_parallelism(False, 2, thread_speedup=1.9, workers=2)
    assert off.verdict.startswith("not what you measured") and "1.90x" in off.measured


def test_waiting_threads_leave_the_cpu_idle_and_the_share_is_computed():
    check = claims.threads_always_working(cpu_s=0.01, wall_s=0.2, threads=2)
    assert "busy 5%" in check.measured and "nothing to do for 95%" in check.verdict
    assert claims.threads_always_working(0.19, 0.2, 2).verdict == "true here"


@pytest.mark.parametrize(
    ("speedup", "cpus", "verdict"),
    [(1.8, 2, "true here"), (1.0, 1, "true only for machines with more than one CPU"), (0.9, 2, "true only for work")],
)
def test_processes_sidestep_the_gil_where_there_are_cpus_for_them(speedup, cpus, verdict):
    assert claims.processes_sidestep_gil(speedup, 2, cpus).verdict.startswith(verdict)


def test_a_verdict_must_begin_with_one_of_the_three_phrases():
    with pytest.raises(ValueError, match="a verdict starts with one of"):
        claims.ClaimCheck("four_cores", "x", "maybe")
    with pytest.raises(ValueError, match="claim must be one of"):
        claims.ClaimCheck("five_cores", "x", "true here")


def test_bad_numbers_are_refused_with_the_value():
    with pytest.raises(ValueError, match="speedup must be > 0, got 0.0"):
        claims.processes_sidestep_gil(0, 2, 2)
    with pytest.raises(ValueError, match="workers must be at least 2, got 1"):
        claims.threads_four_times_faster(1.0, 1, True, 2, "it")
