"""Under one effective CPU (binder-sim: a CPU quota, as on mybinder.org, while os.cpu_count() still
reports every core), `gillab doctor` and `gillab bench` see one CPU and say why no speedup can show."""

import json
import os
import subprocess
import sys

from gillab.bench import SECTIONS
from gillab.machine.cpus import one_cpu_note


def under_one_cpu(binder_sim, *args, cwd=None, timeout=300):
    command = [str(binder_sim), "--cpus", "1", "--", sys.executable, "-m", "gillab", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_doctor_explains_why_speedup_cannot_show(binder_sim):
    result = under_one_cpu(binder_sim, "doctor")
    assert result.returncode == 0, result.stderr
    assert "Effective CPUs    1 " in result.stdout
    assert f"os.cpu_count()    {os.cpu_count()}" in result.stdout
    assert " ".join(one_cpu_note(1).split()) in " ".join(result.stdout.split())


def test_bench_measures_up_to_twice_the_effective_cpus_not_the_host_cores(binder_sim, tmp_path):
    skip = ",".join(name for name in SECTIONS if name != "cpu_sum")
    result = under_one_cpu(binder_sim, "bench", "--quick", "--out", "one-cpu.json", "--skip", skip, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((tmp_path / "one-cpu.json").read_text())
    assert (data["machine"]["effective_cpus"], data["machine"]["cgroup_cpu_quota"]) == (1, 1.0)
    assert data["machine"]["os_cpu_count"] == os.cpu_count()
    for mode in ("threads", "processes"):
        assert [row["workers"] for row in data["cpu_sum"][mode]] == [1, 2]
    # every processes row ran in worker processes, one worker included, even on one CPU
    assert [row["ran_in_caller_process"] for row in data["cpu_sum"]["processes"]] == [False, False]
    assert " ".join(one_cpu_note(1).split()) in " ".join(result.stdout.split())
    goal = data["goals"][0]
    assert goal["name"] == "cpu_sum processes x1" and "one effective CPU" in goal["note"]
