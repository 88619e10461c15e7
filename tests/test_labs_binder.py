"""Under a Binder-like quota of one CPU every lab detects it, says why speedup cannot show, and
still runs (the speedup lab's workers slider fits one CPU)."""

import json
import subprocess
import sys

import pytest
from support.paths import REPO

pytestmark = pytest.mark.slow

PROBE = """
import html, json, tempfile
from gillab.machine.doctor import one_cpu_note
from gillab.labs import io_lab, speedup_lab, switch_interval_lab
note = html.escape(one_cpu_note(1))
speedup = speedup_lab(n=20_000, repeats=1, references_folder=tempfile.mkdtemp())
speedup.run.click()
labs = {"speedup": speedup, "switch": switch_interval_lab(duration_s=0.1), "io": io_lab(requests=1, latency_ms=0)}
print(json.dumps({
    "effective": {name: lab.effective_cpus for name, lab in labs.items()},
    "explains": {name: note in lab.note.value for name, lab in labs.items()},
    "workers_max": speedup.workers.max,
    "no_references_note": "No reference results ship" in speedup.note.value,
    "ran": [(row["mode"], row["workers"], row["record"].distinct_threads) for row in speedup.results],
    "message": speedup.message.value,
}))
"""


def test_every_lab_reports_one_cpu_and_explains_under_binder_sim(binder_sim):
    completed = subprocess.run(
        [str(binder_sim), "--cpus", "1", "--", sys.executable, "-c", PROBE],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["effective"] == {"speedup": 1, "switch": 1, "io": 1}
    assert report["explains"] == {"speedup": True, "switch": True, "io": True}
    assert report["workers_max"] == 4 and report["no_references_note"]
    assert report["message"] == ""
    assert report["ran"][0] == ["threads", 2, 2]
