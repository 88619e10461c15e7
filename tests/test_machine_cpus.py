"""effective_cpu_count against fake /proc and /sys trees (cgroup v1 and v2), and under binder-sim."""

import json
import os
import subprocess
import sys

import pytest

from gillab.machine.cpus import cgroup_cpu_quota, cpu_limits, effective_cpu_count

V2_MOUNT = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
V1_MOUNT = (
    "35 25 0:30 {root} /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory\n"
)


def make_tree(tmp_path, mountinfo, cgroup, files):
    """A fake root: proc/self/{mountinfo,cgroup} and the given cgroup files under sys/fs/cgroup."""
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/mountinfo").write_text(mountinfo)
    (tmp_path / "proc/self/cgroup").write_text(cgroup)
    for relative, text in files.items():
        path = tmp_path / "sys/fs/cgroup" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "name, mountinfo, cgroup, files, quota",
    [
        ("v2 quota of 1.5", V2_MOUNT, "0::/user.slice/app\n", {"user.slice/app/cpu.max": "150000 100000\n"}, 1.5),
        ("v2 unlimited", V2_MOUNT, "0::/user.slice/app\n", {"user.slice/app/cpu.max": "max 100000\n"}, None),
        (
            "v2 nested: the parent's limit holds",
            V2_MOUNT,
            "0::/kubepods/pod1/container\n",
            {"kubepods/pod1/container/cpu.max": "max 100000\n", "kubepods/pod1/cpu.max": "100000 100000\n"},
            1.0,
        ),
        (
            "v2 nested: the tighter of two limits",
            V2_MOUNT,
            "0::/a/b\n",
            {"a/b/cpu.max": "300000 100000\n", "a/cpu.max": "200000 100000\n"},
            2.0,
        ),
        ("v2 empty file", V2_MOUNT, "0::/app\n", {"app/cpu.max": ""}, None),
        ("v2 garbled file", V2_MOUNT, "0::/app\n", {"app/cpu.max": "lots\n"}, None),
        ("v2 file missing", V2_MOUNT, "0::/app\n", {}, None),
        (
            "v1 quota at the host path",
            V1_MOUNT.format(root="/"),
            "4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n",
            {
                "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "50000\n",
                "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
            },
            0.5,
        ),
        (
            "v1 inside a container: the group is the mount's root",
            V1_MOUNT.format(root="/docker/abc"),
            "4:cpu,cpuacct:/docker/abc\n",
            {"cpu,cpuacct/cpu.cfs_quota_us": "200000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
            2.0,
        ),
        (
            "v1 unlimited (-1)",
            V1_MOUNT.format(root="/"),
            "4:cpu,cpuacct:/\n",
            {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
            None,
        ),
        (
            "v1 empty quota file",
            V1_MOUNT.format(root="/"),
            "4:cpu,cpuacct:/\n",
            {"cpu,cpuacct/cpu.cfs_quota_us": "", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
            None,
        ),
        (
            "v1 over-mounted (as binder-sim does): the last mount wins",
            V1_MOUNT.format(root="/") + V1_MOUNT.format(root="/sim").splitlines()[0].replace("35 25", "63 35") + "\n",
            "4:cpu,cpuacct:/sim\n",
            {"cpu,cpuacct/cpu.cfs_quota_us": "100000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
            1.0,
        ),
    ],
)
def test_quota_from_fake_cgroup_files(tmp_path, name, mountinfo, cgroup, files, quota):
    root = make_tree(tmp_path, mountinfo, cgroup, files)
    assert cgroup_cpu_quota(root) == quota, name
    expected = 8 if quota is None else min(8, max(1, -(-quota // 1)))
    assert effective_cpu_count(root, affinity=8) == expected, name


def test_affinity_caps_a_larger_quota(tmp_path):
    root = make_tree(tmp_path, V2_MOUNT, "0::/app\n", {"app/cpu.max": "400000 100000\n"})
    limits = cpu_limits(root, affinity=2)
    assert (limits.quota, limits.affinity, limits.effective) == (4.0, 2, 2)


def test_no_cgroup_filesystem_at_all(tmp_path):
    """As on macOS: no /proc, no /sys/fs/cgroup; the affinity decides."""
    assert cgroup_cpu_quota(tmp_path) is None
    assert effective_cpu_count(tmp_path, affinity=3) == 3


def test_this_machine_without_a_quota_uses_the_affinity_mask():
    limits = cpu_limits()
    if limits.quota is not None:
        pytest.skip(f"this machine has a CPU quota ({limits.quota}); the binder-sim tests cover quotas")
    assert limits.effective == len(os.sched_getaffinity(0))


def doctor_json(prefix=()):
    command = [*map(str, prefix), sys.executable, "-m", "gillab", "doctor", "--json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout)


@pytest.mark.parametrize("cpus, expected", [("1", 1), ("0.5", 1), ("1.5", 2)])
def test_binder_sim_quota_is_seen_while_os_cpu_count_is_not(binder_sim, cpus, expected):
    if os.cpu_count() < 2:
        pytest.skip("needs a machine with at least 2 CPUs to tell a quota from the core count")
    outer = cpu_limits().quota
    if outer is not None and float(cpus) > outer:
        # as when make test itself runs under binder-sim --cpus 1: cgroup v1 refuses a nested group a
        # larger quota, and under cgroup v2 the outer quota would still be the one that holds
        pytest.skip(f"this test already runs under a CPU quota of {outer:g}; a nested quota of {cpus} cannot be set")
    facts = doctor_json([binder_sim, "--cpus", cpus, "--"])
    assert facts["os_cpu_count"] == os.cpu_count()
    assert facts["cgroup_cpu_quota"] == float(cpus)
    assert facts["effective_cpus"] == min(expected, len(os.sched_getaffinity(0)))
