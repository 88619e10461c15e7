"""Chapter 06's words about the interpreter, and the free-threaded kernels it finds."""

import json

import pytest

from gillab.experiments.free_threading import explain_thread_speedup
from gillab.machine.interpreter import build_summary, free_threaded_kernels


def test_build_summary_covers_the_three_states():
    assert "standard build: the GIL is always on" in build_summary(False, True, "3.11.7")
    assert "free-threaded build, but the GIL is ON" in build_summary(True, True, "3.14.0")
    assert "free-threaded build, and the GIL is OFF" in build_summary(True, False, "3.14.0")
    assert build_summary().startswith("Python ")


@pytest.mark.parametrize(
    "speedup, gil, cpus, workers, expected",
    [
        (0.9, True, 4, 2, "The GIL is on: 2 threads ran 0.90x as fast as one, although 2 CPUs"),
        (1.9, False, 4, 2, "The GIL is off: 2 threads ran 1.90x as fast as one, close to the 2x"),
        (1.1, False, 2, 2, "The GIL is off, but 2 threads ran 1.10x as fast as one, well short of the 2x"),
        (1.0, False, 1, 2, "Only one CPU is available"),
        (1.0, True, 8, 1, "One worker cannot show parallel speedup"),
    ],
)
def test_explain_thread_speedup(speedup, gil, cpus, workers, expected):
    assert expected in explain_thread_speedup(speedup, gil, cpus, workers)


def test_free_threaded_kernels_finds_kernels_by_display_name(tmp_path, monkeypatch):
    for name, display in [("python3-ft", "Python 3.13 (free-threaded)"), ("other", "Python 3 (ipykernel)")]:
        folder = tmp_path / "kernels" / name
        folder.mkdir(parents=True)
        (folder / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": display,
                    "language": "python",
                }
            )
        )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert ("python3-ft", "Python 3.13 (free-threaded)") in free_threaded_kernels()
    assert all("free-threaded" in display for _, display in free_threaded_kernels())
