"""The chapters' text reports: every measured number passed in shows up, nothing else is invented."""

import pytest

from gillab.experiments.convoy import ResponseDelays
from gillab.experiments.process_costs import ArgumentCost, BreakEven
from gillab.machine.cpus import one_cpu_note
from gillab.measure.timing import Timing
from gillab.show.text import (
    argument_costs_table,
    break_even_table,
    cpu_context,
    delays_table,
    format_summary,
    format_value,
    machine_load,
    speedup_table,
    timing_text,
)


def summary(median, low, high, repeats=5):
    return {"median": median, "min": low, "max": high, "repeats": repeats}


def test_speedup_table_shows_each_row_with_its_spread():
    rows = [
        {
            "mode": "serial",
            "workers": 1,
            "seconds": summary(0.2, 0.19, 0.25, 11),
            "speedup": summary(1, 1, 1, 11),
            "result": 210,
        },
        {
            "mode": "threads",
            "workers": 4,
            "seconds": summary(0.21, 0.2, 0.3),
            "speedup": summary(0.95, 0.9, 1.02),
            "result": 210,
        },
    ]
    table = speedup_table(rows)
    assert "threads          4  210.0 ms (200.0-300.0 ms)" in table
    assert "0.95x (0.90-1.02)" in table and sum(line.endswith(" 210") for line in table.splitlines()) == 2
    assert "5 timed runs per parallel row" in table
    with pytest.raises(ValueError, match="no rows"):
        speedup_table([])


def test_timing_text_picks_a_readable_unit():
    assert timing_text(Timing((1.5, 2.0, 1.0))) == "1.50 s (1.00-2.00 s, 3 runs)"
    assert timing_text(Timing((0.0123,))) == "12.3 ms"
    assert timing_text(Timing((0.0000004,))) == "400 ns"
    assert str(Timing((0.004, 0.003, 0.005))) == "4.0 ms (3.0-5.0 ms, 3 runs)"  # a Timing prints the same way


def test_one_formatter_writes_every_median_and_spread():
    assert format_summary(summary(1.72, 1.6, 1.8), "x") == "1.72x (1.60-1.80, 5 runs)"
    assert format_summary(summary(1.72, 1.6, 1.8), "x", runs=False) == "1.72x (1.60-1.80)"
    assert format_summary(summary(0.0084, -0.0436, 0.0547), "fraction") == "0.8% (-4.4% to 5.5%, 5 runs)"
    assert format_summary(summary(0.412, 0.398, 0.431, 1)) == "412.0 ms"
    values = [format_value(2.5, "s"), format_value(1.5, "x"), format_value(0.1, "fraction")]
    assert values == ["2.50 s", "1.50x", "10.0%"]
    with pytest.raises(ValueError, match="unit must be 's', 'x' or 'fraction', got 'ms'"):
        format_value(1, "ms")


def test_cpu_context_states_the_count_and_the_one_cpu_note():
    assert cpu_context(effective_cpus=4, os_cpu_count=4) == "Effective CPUs here: 4"
    limited = cpu_context(effective_cpus=1, os_cpu_count=64)
    assert limited.startswith("Effective CPUs here: 1 (os.cpu_count() reports 64")
    assert limited.endswith(one_cpu_note(1))
    assert cpu_context().startswith("Effective CPUs here: ")


def test_delays_table_lists_each_experiment_in_milliseconds():
    results = [ResponseDelays(0.005, 1, 0.001, (0.004, 0.006, 0.005), 10)]
    assert "5.0 ms            1        3      5.00 ms     6.00 ms" in delays_table(results)


def test_argument_costs_table_has_a_row_per_size():
    timing = Timing((0.001, 0.002, 0.003))
    table = argument_costs_table([ArgumentCost(20_000_000, 2, timing, timing, timing)])
    assert "20 MB" in table and "to 2 processes" in table and "2.0 ms (1.0-3.0 ms, 3 runs)" in table
    tiny = argument_costs_table([ArgumentCost(1000, 2, Timing((4e-7, 5e-7)), timing, timing)])
    assert "450 ns (400-500 ns, 2 runs)" in tiny


def test_break_even_table_says_where_processes_won_or_that_they_never_did():
    won = break_even_table(BreakEven(2, [(1000, 0.1, 0.001, 0.01), (10**6, 1.5, 0.1, 0.0667)]))
    assert "from n = 1,000,000 on" in won and "1.50x" in won
    lost = break_even_table(BreakEven(2, [(1000, 0.1, 0.001, 0.01)]))
    assert "did not beat the serial loop at the largest size measured (1,000)" in lost
    noisy = break_even_table(BreakEven(2, [(1000, 1.2, 1, 1), (10**4, 0.9, 1, 1), (10**5, 1.3, 1, 1)]))
    assert "from n = 100,000 on" in noisy  # the win at 1,000 was followed by a loss: not the break-even


def test_machine_load_says_whether_other_programs_compete():
    assert machine_load(effective_cpus=4, load=0.1).endswith("on 4 effective CPUs: the machine is quiet.")
    assert "other programs seem to be using the CPUs" in machine_load(effective_cpus=2, load=3.0)
    assert machine_load(effective_cpus=1, load=3.0) == ""  # one CPU: the one-CPU note says it all
    assert machine_load(effective_cpus=2).startswith("Load average over the last minute: ")
