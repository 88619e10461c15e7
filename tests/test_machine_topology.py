"""Cores, hardware threads and OS threads, read from a fake /sys and /proc."""

from gillab.machine.topology import cpu_layout, os_thread_count


def fake_cpus(root, layout):
    for index, (socket, core) in enumerate(layout):
        topology = root / "sys/devices/system/cpu" / f"cpu{index}" / "topology"
        topology.mkdir(parents=True)
        (topology / "core_id").write_text(f"{core}\n")
        (topology / "physical_package_id").write_text(f"{socket}\n")
    (root / "sys/devices/system/cpu/cpufreq").mkdir()  # not a cpu: must be ignored


def test_two_sockets_two_cores_two_hardware_threads_each(tmp_path):
    fake_cpus(tmp_path, [(socket, core) for socket in (0, 1) for core in (0, 1) for _ in range(2)])
    layout = cpu_layout(tmp_path)
    assert (layout.hardware_threads, layout.cores, layout.sockets, layout.threads_per_core) == (8, 4, 2, 2)
    assert str(layout) == "2 socket(s), 4 core(s), 8 hardware threads (2 per core)"


def test_missing_topology_leaves_cores_unknown(tmp_path):
    (tmp_path / "sys/devices/system/cpu/cpu0").mkdir(parents=True)
    layout = cpu_layout(tmp_path)
    assert (layout.hardware_threads, layout.cores, layout.sockets) == (1, None, None)
    assert "not reported" in str(layout)


def test_os_thread_count_reads_proc_status(tmp_path):
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/status").write_text("Name:\tpython\nThreads:\t17\nVmRSS:\t100 kB\n")
    assert os_thread_count(tmp_path) == 17
    assert os_thread_count(tmp_path / "nowhere") is None


def test_this_process_has_at_least_its_own_thread():
    count = os_thread_count()
    assert count is None or count >= 1
