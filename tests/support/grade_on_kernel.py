"""Grade a problem set's submission fixtures with nbgrader on a Jupyter kernel of your choice, in a
temporary course copy (tests/support/problem_set_course.py), and write what happened as JSON.

Run it with the course's .venv Python, where nbgrader is installed, whichever Python runs the tests
(the free-threaded venv of `make test-ft` cannot install nbgrader on Python 3.13)::

    cd tests && ../.venv/bin/python -m support.grade_on_kernel KERNEL FOLDER ASSIGNMENT [ASSIGNMENT ...]

The copy's ``grader/nbgrader_config.py`` gets one more line, ``c.Execute.kernel_name = KERNEL``, as an
instructor who grades on that kernel would add (nbgrader otherwise takes the kernel named in the
source notebook, ``python3``, whatever the submission says). Every submission fixture of each
ASSIGNMENT is released, submitted and autograded in copies under FOLDER, the assignments at the same
time. FOLDER/grading.json then holds ``kernel``; per assignment, ``scores`` (case -> grade_id ->
score), ``autograded`` (case -> the autograded notebook's path) and ``language_info`` (case -> what
the kernel that ran it reported); and ``kernels``: what every kernel nbgrader started recorded about
itself as it started (``sys.prefix``, the build, whether the GIL was on, its folder).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat

from support.problem_set_course import ASSIGNMENTS, FIXTURES, grade_all, make_course, release

#: An IPython start-up file for the copy's private IPython folder (the harness points IPYTHONDIR
#: there): every kernel nbgrader starts writes down which interpreter it is, before any cell runs.
RECORD_KERNEL = """import json, os, sys, sysconfig
_record = {"prefix": sys.prefix, "executable": sys.executable, "cwd": os.getcwd(),
           "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
           "gil_enabled": sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True}
with open(os.path.join(os.environ["GILLAB_KERNEL_RECORDS"], f"{os.getpid()}.json"), "w") as _file:
    json.dump(_record, _file)
del _record, _file
"""


def main(kernel: str, folder: Path, assignments: list[str]) -> dict:
    unknown = sorted(set(assignments) - set(ASSIGNMENTS))
    if unknown or not assignments:
        raise SystemExit(f"ASSIGNMENT must be among {', '.join(ASSIGNMENTS)}, got {', '.join(unknown) or 'none'}")
    plans = {
        assignment: {path.stem: path for path in sorted((FIXTURES / assignment).glob("*.ipynb"))}
        for assignment in assignments
    }
    course = make_course(folder / "released")
    with open(course / "grader" / "nbgrader_config.py", "a") as config:
        config.write(
            f"\n# added by tests/support/grade_on_kernel.py: grade on this kernel\nc.Execute.kernel_name = {kernel!r}\n"
        )
    startup = course / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-record-kernel.py").write_text(RECORD_KERNEL)
    records = folder / "kernels"
    records.mkdir()
    os.environ["GILLAB_KERNEL_RECORDS"] = str(records)  # the kernels inherit nbgrader's environment
    release(course, assignments)
    result = {"kernel": kernel}
    for assignment, grading in grade_all(course, folder, plans, groups=2).items():
        autograded, language = {}, {}
        for case in plans[assignment]:
            path = (
                grading.course_of(case)
                / "grader"
                / "autograded"
                / case
                / assignment
                / f"{ASSIGNMENTS[assignment]}.ipynb"
            )
            autograded[case] = str(path)
            if path.is_file():
                language[case] = nbformat.read(path, as_version=4).metadata.get("language_info", {})
        result[assignment] = {
            "scores": grading.scores,
            "autograded": autograded,
            "language_info": language,
            "seconds": grading.seconds,
        }
    result["kernels"] = [json.loads(path.read_text()) for path in sorted(records.glob("*.json"))]
    return result


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    out = Path(sys.argv[2]).resolve()
    (out / "grading.json").write_text(json.dumps(main(sys.argv[1], out, sys.argv[3:]), indent=2))
