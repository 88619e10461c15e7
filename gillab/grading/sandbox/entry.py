"""The first program inside a grading sandbox: prepare, drop privileges, then become the kernel.

bubblewrap starts this file with ``python -I -S`` (standard library only, nothing from the
submission or the environment can change what it does) and these arguments::

    entry.py SETTINGS_JSON -- KERNEL_ARGV...

It runs as the sandbox's first process and, in order:

1. copies the submission's files from the read-only input folder into the writable working
   folder (a size-limited tmpfs), so student code writes only there;
2. hands the working folder and the kernel's connection files to the sandbox user;
3. sets the resource limits (``setrlimit``: address space, processes, CPU seconds, file size,
   open files, no core dumps), which every process the kernel starts inherits;
4. when started as root, switches to the sandbox user (an otherwise unused uid, one per grading
   worker), so the process limit applies (the kernel does not apply it to root) and no file of
   the instructor's is writable even if it were visible;
5. replaces itself with the kernel (``execv``), which keeps its process id, so the kernel's exit
   status is what bubblewrap reports.

A failure here is printed to stderr and ends the sandbox with exit status 97, which the grader
reports as a sandbox error rather than as the student's fault.
"""

import json
import os
import resource
import shutil
import sys

SANDBOX_SETUP_FAILED = 97

_LIMIT_NAMES = {
    "address_space": "RLIMIT_AS",
    "processes": "RLIMIT_NPROC",
    "cpu_seconds": "RLIMIT_CPU",
    "file_size": "RLIMIT_FSIZE",
    "open_files": "RLIMIT_NOFILE",
    "core_file": "RLIMIT_CORE",
}


def _chown_tree(path, uid, gid):
    os.lchown(path, uid, gid)
    for folder, subfolders, files in os.walk(path):
        for name in subfolders + files:
            os.lchown(os.path.join(folder, name), uid, gid)


def prepare(settings):
    """Copy the input files, hand folders to the sandbox user, set limits, switch user."""
    uid, gid = settings.get("uid"), settings.get("gid")
    home, work = settings["home"], settings["work"]
    os.makedirs(home, exist_ok=True)
    source = settings.get("copy_from")
    if source and os.path.isdir(source):
        shutil.copytree(source, work, symlinks=True, dirs_exist_ok=True)
    os.makedirs(work, exist_ok=True)
    if uid is not None:
        _chown_tree(home, uid, gid)
        for path in settings.get("chown", []):
            if os.path.lexists(path):
                os.lchown(path, uid, gid)
    for name, value in settings.get("limits", {}).items():
        soft, hard = (value, value) if isinstance(value, int) else value
        resource.setrlimit(getattr(resource, _LIMIT_NAMES[name]), (soft, hard))
    if uid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise RuntimeError(f"could not switch to uid {uid}")
    os.chdir(work)


def main(argv):
    """Entry point: ``SETTINGS_JSON -- KERNEL_ARGV...``."""
    if len(argv) < 3 or argv[1] != "--":
        print("usage: entry.py SETTINGS_JSON -- KERNEL_ARGV...", file=sys.stderr)
        return SANDBOX_SETUP_FAILED
    try:
        prepare(json.loads(argv[0]))
        kernel_argv = argv[2:]
        os.execv(kernel_argv[0], kernel_argv)
    except Exception as error:  # noqa: BLE001 - every failure must end in the one exit status
        print(f"gillab sandbox: setting up failed: {type(error).__name__}: {error}", file=sys.stderr)
    return SANDBOX_SETUP_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
