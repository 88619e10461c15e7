"""Reference results: the format is checked, broken files are skipped, saving round-trips."""

import json

import pytest

from gillab.machine.doctor import collect_facts
from gillab.show.references import SCHEMA, load_references, save_reference, speedup_points, validate_reference


def result(date="2026-11-25T10:00:00+00:00"):
    return {
        "schema": SCHEMA,
        "date": date,
        "machine": collect_facts(),
        "cpu_sum": {
            "n": 100,
            "threads": [{"workers": 2, "speedup": {"median": 0.9, "min": 0.8, "max": 1.0, "repeats": 5}}],
        },
    }


def test_save_then_load_round_trips_and_sorts_by_date(tmp_path):
    later = save_reference(result("2026-12-01T00:00:00+00:00"), tmp_path)
    earlier = save_reference(result(), tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"schema": "something else"}))
    loaded = load_references(tmp_path)
    assert [entry["file"] for entry in loaded] == [earlier.name, later.name]
    assert speedup_points(loaded[0], "threads") == [(2, 0.9)]
    assert speedup_points(loaded[0], "processes") == []


@pytest.mark.parametrize(
    "drop, message", [("schema", "not a GIL Lab benchmark"), ("date", "no date"), ("machine", "machine facts missing")]
)
def test_incomplete_results_are_refused(drop, message):
    data = result()
    del data[drop]
    with pytest.raises(ValueError, match=message):
        validate_reference(data)


def test_shipped_references_are_all_valid():
    from gillab.show.references import REFERENCE_FOLDER

    files = sorted(REFERENCE_FOLDER.glob("*.json"))
    assert len(load_references()) == len(files)


def test_a_recorded_speedup_is_quoted_from_the_newest_matching_reference(tmp_path):
    from gillab.show.references import recorded_speedup

    older, newer = result("2026-01-01T00:00:00+00:00"), result("2026-06-01T00:00:00+00:00")
    newer["cpu_sum"]["threads"][0]["speedup"] = {"median": 1.948, "min": 1.94, "max": 1.98, "repeats": 5}
    for data in (older, newer):
        save_reference(data, tmp_path)
    gil = older["machine"]["gil_enabled"]
    line = recorded_speedup("cpu_sum", "threads", 2, gil_enabled=gil, folder=tmp_path)
    assert line.startswith("recorded: 2 threads over one, speedup 1.95x (1.94-1.98, 5 runs)") and "2026-06-01" in line
    assert "no shipped reference" in recorded_speedup("cpu_sum", "threads", 2, gil_enabled=not gil, folder=tmp_path)
    assert "no shipped reference" in recorded_speedup("cpu_sum", "threads", 3, folder=tmp_path)


def test_chapter_06s_hashing_speedup_comes_from_the_shipped_reference_file():
    from gillab.show.references import load_references, recorded_speedup, speedup_summary

    shipped = [ref for ref in load_references() if ref["machine"]["gil_enabled"]]
    median = speedup_summary(shipped[-1], "threads", 2, "gil_release")["median"]
    assert f"speedup {median:.2f}x" in recorded_speedup("gil_release", "threads", 2, gil_enabled=True)
