"""Three ways around the GIL side by side (gillab.experiments.three_ways): each way's costs measured
on the kernel that can use it, recorded for the kernels that cannot, and said where they came from.

What is asserted is what happened (the very object, a copy, a pickle; which extensions loaded; the
GIL state after loading them), never a speed.
"""

from __future__ import annotations

import json
import os

import pytest
from support.skips import require_subinterpreters

from gillab.experiments import three_ways
from gillab.machine.interpreter import gil_enabled
from gillab.machine.procfs import memory_kb


def summary_ok(summary, repeats):
    return summary["repeats"] == repeats and 0 < summary["min"] <= summary["median"] <= summary["max"]


def test_each_way_is_measurable_here_or_says_why_not():
    assert three_ways.reason_unavailable("processes") is None
    free = three_ways.reason_unavailable("free-threaded threads")
    assert (free is None) is (not gil_enabled())
    if free is not None:
        assert "threads share one GIL" in free
    with pytest.raises(ValueError, match="way must be one of processes, subinterpreters, free-threaded threads"):
        three_ways.reason_unavailable("greenlets")


def test_processes_get_a_pickled_copy_and_load_every_extension():
    found = three_ways.measure_way("processes", repeats=2)
    assert found["passing"] == "pickled" and found["passing_s"] > 0
    assert summary_ok(found["start_s"], 2) and found["memory_mb"] > 0
    assert found["start_method"] in ("fork", "spawn", "forkserver")
    assert set(found["extensions"]) == set(three_ways.EXTENSIONS)
    assert all(what == "loads" for what in found["extensions"].values()), found["extensions"]


def test_subinterpreters_get_a_copy_and_refuse_numpy():
    require_subinterpreters()
    found = three_ways.measure_way("subinterpreters", repeats=2)
    assert found["passing"] == "copied" and summary_ok(found["start_s"], 2) and found["memory_mb"] > 0
    assert found["extensions"]["hashlib"] == "loads" and found["extensions"]["decimal"] == "loads"
    assert found["extensions"]["numpy"].startswith("refused:") and "subinterpreters" in found["extensions"]["numpy"]


def test_free_threaded_threads_share_the_very_object_and_keep_the_gil_off():
    if three_ways.reason_unavailable("free-threaded threads") is not None:
        with pytest.raises(RuntimeError, match="cannot be measured on this kernel: this kernel's Python"):
            three_ways.measure_way("free-threaded threads")
        return
    found = three_ways.measure_way("free-threaded threads", repeats=2)
    assert found["passing"] == "shared" and found["gil_enabled"] is False
    assert found["extensions"]["numpy"] == "loads, the GIL stays off"


def test_a_recording_is_used_for_the_ways_this_kernel_cannot_use_and_says_so(tmp_path):
    path = three_ways.record(tmp_path, repeats=1, speedup_n=20_000)
    data = json.loads(path.read_text())
    assert data["schema"] == three_ways.SCHEMA and "processes" in data["ways"]
    assert data["speedups"]["processes"]["workers"] == 2 and data["speedups"]["threads"]["n"] == 20_000
    assert data["own_gil"]["threads"]["other_ran"] is (not gil_enabled())
    [loaded] = three_ways.load_recordings(tmp_path)
    assert loaded["file"] == path.name
    entries = {entry["way"]: entry for entry in three_ways.costs(repeats=1, folder=tmp_path)}
    assert entries["processes"]["source"] == "this kernel"
    for way in ("subinterpreters", "free-threaded threads"):
        why = three_ways.reason_unavailable(way)
        if why is None:
            assert entries[way]["source"] == "this kernel"
        elif way in data["ways"]:
            assert entries[way]["source"].startswith("recorded") and entries[way]["not_here"] == why
        else:
            assert entries[way]["missing"] == f"not on this kernel ({why}), and no recording ships"
    table = three_ways.costs_table(entries.values())
    assert "processes: Python" in table and "pickled" in table and "C extensions: load:" in table


def test_broken_recordings_are_skipped(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"schema": "something else"}))
    assert three_ways.load_recordings(tmp_path) == []


def test_memory_of_a_process_as_resident_and_proportional_kilobytes():
    rss, pss = memory_kb(os.getpid()), memory_kb(os.getpid(), "pss")
    assert rss > 0 and 0 < pss <= rss
    assert memory_kb(2**22 + 12345) is None  # no such process
    with pytest.raises(ValueError, match="kind must be 'rss' or 'pss', got 'uss'"):
        memory_kb(os.getpid(), "uss")
