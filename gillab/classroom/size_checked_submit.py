"""nbgrader's submit step (Assignments tab, ``nbgrader submit``) with two changes for the classroom.

1. **Size first.** nbgrader 0.9.6 copies a submission and only then fails on a folder over
   ``CourseDirectory.max_dir_size`` ("Directory size is too big"), and silently leaves out a file
   over ``max_file_size``. Here both are checked before anything is copied, and the student reads
   what is too big and what to do; nothing is submitted, and earlier submissions stay as they were.
2. **Only the instructors can read it.** nbgrader leaves each submission folder mode 0777 with its
   files 0644, so a student who learns another's folder name can read (or empty) it. Here the
   folder ends up mode 0770: its owner and the group of ``inbound`` (the course's instructors:
   setgid ``inbound`` gives new folders its group) can enter it, nobody else can.

The classroom's ``nbgrader_config.py`` selects it with ``c.ExchangeFactory.submit``
(:data:`gillab.classroom.settings.SUBMIT_CLASS`).
"""

from __future__ import annotations

import fnmatch
import os
import stat

from nbgrader.exchange.default.submit import ExchangeSubmit

__all__ = ["SizeCheckedSubmit", "submission_size_problem"]


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def submission_size_problem(folder: str, max_file_kb: int, max_dir_kb: int, ignore=()) -> str | None:
    """What is too big in ``folder`` for a submission (None: nothing). Sizes in nbgrader's kB (1000 bytes).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (pathlib.Path(folder) / "data.bin").write_bytes(b"x" * 3_000_000)
    ...     print(submission_size_problem(folder, max_file_kb=2000, max_dir_kb=10000))
    data.bin is 3.0 MB, over the limit of 2.0 MB for one file (largest: data.bin 3.0 MB)
    """
    sizes = []
    for parent, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not any(fnmatch.fnmatch(name, pattern) for pattern in ignore)]
        for name in files:
            path = os.path.join(parent, name)
            if any(fnmatch.fnmatch(name, pattern) for pattern in ignore) or os.path.islink(path):
                continue
            sizes.append((os.path.getsize(path), os.path.relpath(path, folder)))
    sizes.sort(reverse=True)
    largest = ", ".join(f"{name} {_megabytes(size)}" for size, name in sizes[:3])
    total = sum(size for size, _ in sizes)
    if sizes and sizes[0][0] > max_file_kb * 1000:
        size, name = sizes[0]
        return (f"{name} is {_megabytes(size)}, over the limit of {_megabytes(max_file_kb * 1000)} for one file "
                f"(largest: {largest})")
    if total > max_dir_kb * 1000:
        limit = _megabytes(max_dir_kb * 1000)
        return f"the folder holds {_megabytes(total)}, over the limit of {limit} (largest: {largest})"
    return None


class SizeCheckedSubmit(ExchangeSubmit):
    """nbgrader's ``ExchangeSubmit``: size checked before copying; the submission private to the instructors."""

    def copy_files(self):
        """Refuse an oversized submission with a clear message, else submit and close its permissions."""
        problem = submission_size_problem(
            self.src_path, self.coursedir.max_file_size, self.coursedir.max_dir_size, self.coursedir.ignore
        )
        if problem:
            self.fail(
                f"Nothing was submitted: {problem}. Move large files (data, outputs) out of "
                f"{self.src_path}, save, and press Submit again. Your earlier submissions of "
                f"{self.coursedir.assignment_id} are kept as they were."
            )
        super().copy_files()
        self._close(os.path.join(self.inbound_path, self.assignment_filename))

    def _close(self, entry: str) -> None:
        # The folder's group is the instructors' (inherited from setgid inbound when it was made; a
        # student cannot chgrp to a group they are not in). Its mode 0770 lets the owner and that
        # group in, and nobody else through to the files, whatever their own modes.
        os.chmod(entry, stat.S_IRWXU | stat.S_IRWXG)
