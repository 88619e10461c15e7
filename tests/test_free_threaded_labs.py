"""The labs on a free-threaded Python: the speedup lab's Run button with threads x2 runs two threads
that compute at the same instant (proven from the run's spans, tests/support/simultaneity.py), beside the
reference results recorded WITH the GIL; the switch-interval lab says there is no convoy to see.

The speedup lab runs in this process: under `make test-ft` that is the free-threaded interpreter,
the one the free-threaded kernel runs (tests/test_free_threaded_jupyterlab.py checks that).
"""

from __future__ import annotations

import datetime

import pytest
from support.simultaneity import prove_simultaneous

from gillab.labs import speedup_lab, switch_interval_lab
from gillab.machine.cpus import effective_cpu_count
from gillab.machine.doctor import collect_facts
from gillab.measure.speedup import measure_speedups
from gillab.show.references import SCHEMA, save_reference, speedup_points

#: The lab's size for the proof: about a million numbers per thread, in the lab's 20 progress slices.
PROOF_SIZE = 2_000_000


def reference_recorded(folder, gil_enabled: bool):
    """A reference saved from a real small measurement, marked as made with or without the GIL."""
    rows = measure_speedups(n=20_000, configs=[("threads", 2)], repeats=1)
    machine = {**collect_facts(), "gil_enabled": gil_enabled, "free_threaded_build": not gil_enabled}
    result = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "machine": machine,
        "cpu_sum": {
            "n": 20_000,
            "threads": [{"workers": 2, "seconds": rows[1]["seconds"], "speedup": rows[1]["speedup"]}],
        },
    }
    return save_reference(result, folder, name=f"gil-{gil_enabled}.json")


def test_speedup_lab_threads_x2_compute_at_the_same_instant_beside_the_gil_references(free_threaded, tmp_path):
    if effective_cpu_count() < 2:
        pytest.skip(f"only {effective_cpu_count()} CPU is available: two threads cannot run at the same instant here")
    gil_reference = reference_recorded(tmp_path, gil_enabled=True)
    reference_recorded(tmp_path, gil_enabled=False)
    lab = speedup_lab(modes=("threads",), repeats=1, references_folder=tmp_path)  # this kernel's own facts
    assert "The GIL is OFF in this kernel" in lab.note.value
    assert "recorded WITH the GIL on 1 machine(s)" in lab.note.value
    assert [reference["file"] for reference in lab.references] == [gil_reference.name]

    lab.size.value = max(size for size in lab.sizes if size <= PROOF_SIZE)
    lab.workers.value = 2
    n, records = lab.n, []

    def press_run():
        lab.run.click()
        assert not lab.errors, lab.message.value
        record = lab.last_records[-1]
        assert (record.mode, record.workers, record.result) == ("threads", 2, n * (n + 1) // 2)
        assert not record.ran_in_caller_thread
        records.append(record)
        return record.spans

    prove_simultaneous(press_run, f"the speedup lab's Run with threads x2, n = {n:,}")
    rows = [row for row in lab.results if row["mode"] == "threads"]
    assert len(rows) == len(records) and all(row["distinct_threads"] == 2 for row in rows)
    # the chart draws the learner's threads and, on the right, the references recorded with the GIL
    assert len(lab.figure.axes) == 3
    assert sorted(points for _, points in lab.drawn["references"]) == [speedup_points(lab.references[0], "threads")]


def test_switch_interval_lab_on_this_free_threaded_python_says_there_is_no_convoy(free_threaded):
    lab = switch_interval_lab(duration_s=0.2)
    assert "The GIL is OFF in this kernel" in lab.note.value and "no lock the waiting thread needs" in lab.note.value


@pytest.mark.parametrize("cpus", [1, 2])
def test_switch_interval_lab_note_follows_the_gil(monkeypatch, cpus):
    """The note's logic on any build: the GIL's state decides which note the lab shows."""
    monkeypatch.setattr("gillab.labs.switch_interval_widgets.gil_enabled", lambda: False)
    off = switch_interval_lab(duration_s=0.2, effective_cpus=cpus).note.value
    assert "The GIL is OFF in this kernel" in off and ("on one CPU the operating system" in off) == (cpus == 1)
    monkeypatch.setattr("gillab.labs.switch_interval_widgets.gil_enabled", lambda: True)
    on = switch_interval_lab(duration_s=0.2, effective_cpus=cpus).note.value
    assert "GIL is OFF" not in on and ("This lab still shows the GIL handing over" in on) == (cpus == 1)
