"""The speedup lab's subinterpreters mode: k interpreters of the kernel's own process where this
Python has them (3.13+), and on a Python without them a greyed-out box, the reason, and the recorded
results instead. Parallelism is shown by what ran where (interpreter ids, one process), never by speed.
"""

from __future__ import annotations

import datetime
import os

from support.skips import require_no_subinterpreters, require_subinterpreters

from gillab.labs import speedup_lab
from gillab.machine.doctor import collect_facts
from gillab.measure.speedup import measure_speedups
from gillab.show.references import SCHEMA, load_references, save_reference, speedup_points


def test_subinterpreters_run_in_k_interpreters_of_the_kernels_process_and_show_in_table_and_timeline():
    require_subinterpreters()
    lab = speedup_lab(n=30_000, repeats=1, modes=("subinterpreters",), effective_cpus=2)
    assert not lab.modes["subinterpreters"].disabled and lab.modes["subinterpreters"].value
    lab.workers.value = 3
    lab.run.click()
    assert lab.message.value == "" and lab.errors == []
    row = lab.results[-1]
    record = row["record"]
    assert (row["mode"], row["workers"], row["result"]) == ("subinterpreters", 3, 30_000 * 30_001 // 2)
    assert record.distinct_interpreters == 3 and {span.pid for span in record.spans} == {os.getpid()}
    assert "3 interpreter(s), one process" in lab.table.value
    assert "subinterpreters" in [line.get_label() for line in lab.figure.axes[1].lines]
    labels = [label.get_text() for label in lab.timeline_figure.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(f"interpreter {span.interpreter}" for span in record.spans)


def test_without_subinterpreters_the_box_is_greyed_out_with_the_reason_and_threads_still_run(tmp_path):
    support = require_no_subinterpreters()
    lab = speedup_lab(n=5_000, repeats=1, modes=("threads", "subinterpreters"), effective_cpus=2,
                      references_folder=tmp_path)
    box = lab.modes["subinterpreters"]
    assert box.disabled and not box.value and "(not here)" in box.description
    assert "Subinterpreters cannot run in this kernel: Python " in lab.note.value
    assert support.detail.split(":")[0] in lab.note.value
    assert "No reference results with subinterpreters ship with this copy of the course yet" in lab.note.value
    lab.run.click()
    assert [row["mode"] for row in lab.results] == ["threads"] and lab.errors == []


def test_recorded_subinterpreter_results_are_found_in_their_own_section(tmp_path):
    """gillab bench measures subinterpreters in a section of their own; a chart asking for them
    beside cpu_sum's threads and processes finds them there (a real small measurement of threads
    stands in for the rows here: what is tested is where they are read from)."""
    rows = measure_speedups(n=20_000, configs=[("threads", 2)], repeats=1)
    measured = [{"workers": 2, "seconds": rows[1]["seconds"], "speedup": rows[1]["speedup"]}]
    result = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "machine": collect_facts(),
        "subinterpreters": {"status": "ok", "subinterpreters": measured},
    }
    save_reference(result, tmp_path)
    [reference] = load_references(tmp_path)
    expected = [(2, rows[1]["speedup"]["median"])]
    assert speedup_points(reference, "subinterpreters") == expected
    assert speedup_points(reference, "subinterpreters", "subinterpreters") == expected
    assert speedup_points(reference, "threads") == []
