"""Students who fetch an assignment and submit it at the same moment, each as their own Unix user.

What a class does just before a deadline, without a browser: for each student a process that
becomes that Unix user (``setgroups``, ``setgid``, ``setuid``: the kernel then checks the exchange's
permissions exactly as for the student's own server), fetches the assignment if it has not yet,
writes the student's answer, and waits; when every student is ready they all submit at once
through nbgrader's exchange, with the submit class the classroom's configuration names.

nbgrader is imported once, by the root process, before the students' processes are forked from
it: 20 separate nbgrader processes spent most of their time importing (about 2 s of CPU each)
and missed a shared start time by a minute on 2 loaded cores in the prototype.

Run it as root with the classroom's Python (:func:`submit_at_once` does)::

    python -m gillab.classroom.simulated_class PLAN.json   # prints one JSON result per student
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["submit_at_once", "run_plan"]

READY_TIMEOUT_S = 300


def submit_at_once(python: Path, config_dir: Path, assignment: str, notebook: str, answers: dict,
                   extra_bytes: dict | None = None, student_flag: dict | None = None) -> list[dict]:
    """Every student in ``answers`` ({id: notebook text}) fetches ``assignment`` if needed, writes
    the answer as ``<notebook>.ipynb`` (plus a file of ``extra_bytes[id]`` bytes), then all submit
    at the same moment. ``student_flag`` ({id: other id}) submits with ``--student=other``.
    Returns one result per student: ``student``, ``ok``, ``error``, ``ready`` (waiting from then),
    ``start`` and ``end`` of the submit (epoch seconds), ``timestamp`` (nbgrader's, of the submission)."""
    plan = {
        "config_dir": str(config_dir), "assignment": assignment, "notebook": notebook,
        "students": [{"id": student, "answer": text, "extra_bytes": (extra_bytes or {}).get(student, 0),
                      "as": (student_flag or {}).get(student)} for student, text in answers.items()],
        "path": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as stream:
        json.dump(plan, stream)
        stream.flush()
        result = subprocess.run([str(python), "-m", "gillab.classroom.simulated_class", stream.name],
                                capture_output=True, text=True, timeout=READY_TIMEOUT_S + 120)
    if result.returncode != 0:
        raise RuntimeError(f"the simulated class failed: {result.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _load_config(config_dir: str):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=config_dir).load_config()


def _student(plan: dict, student: dict, ready_w: int, go_r: int, result_w: int) -> None:
    """The forked process of one student: becomes that user, fetches, writes, waits, submits."""
    outcome = {"student": student["id"], "ok": False, "error": "", "ready": None, "start": None, "end": None,
               "timestamp": None}
    signalled = False
    try:
        entry = pwd.getpwnam(student["id"])
        os.setgroups(os.getgrouplist(entry.pw_name, entry.pw_gid))
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
        os.environ.clear()
        os.environ.update(HOME=entry.pw_dir, USER=entry.pw_name, LOGNAME=entry.pw_name, PATH=plan["path"],
                          JUPYTER_CONFIG_PATH=plan["config_dir"])
        os.umask(0o022)
        os.chdir(entry.pw_dir)
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange import ExchangeFactory

        config = _load_config(plan["config_dir"])
        if student["as"]:
            config.CourseDirectory.student_id = student["as"]
        exchange = ExchangeFactory(config=config)

        def step(kind):
            coursedir = CourseDirectory(config=config)
            coursedir.assignment_id = plan["assignment"]
            return getattr(exchange, kind)(coursedir=coursedir, authenticator=Authenticator(config=config),
                                           config=config)

        folder = Path(entry.pw_dir) / plan["assignment"]
        if not folder.is_dir():
            step("FetchAssignment").start()
        (folder / f"{plan['notebook']}.ipynb").write_text(student["answer"])
        if student["extra_bytes"]:
            with open(folder / "data.bin", "wb") as stream:
                stream.truncate(student["extra_bytes"])
        outcome["ready"] = time.time()
        os.write(ready_w, b"1")
        signalled = True
        os.read(go_r, 1)  # returns for every student at once, when the root process closes the other end
        outcome["start"] = time.time()
        submit = step("Submit")
        submit.start()
        outcome.update(ok=True, end=time.time(), timestamp=submit.timestamp)
    except BaseException as error:  # noqa: BLE001 - everything is reported to the parent as text
        outcome.update(error=f"{type(error).__name__}: {error}", end=time.time())
        if not signalled:
            os.write(ready_w, b"0")
    os.write(result_w, json.dumps(outcome).encode())


def run_plan(plan: dict) -> list[dict]:
    """Fork one process per student of ``plan``; release them together; return their results."""
    import nbgrader.exchange  # noqa: F401 - imported once here, before forking
    import nbgrader.exchange.default  # noqa: F401
    from nbgrader.auth import Authenticator  # noqa: F401

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    children = []
    for student in plan["students"]:
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.close(ready_r)
            os.close(go_w)
            os.close(result_r)
            try:
                _student(plan, student, ready_w, go_r, result_w)
            finally:
                os._exit(0)
        os.close(result_w)
        children.append((pid, result_r, student["id"]))
    os.close(ready_w)
    os.close(go_r)
    deadline = time.monotonic() + READY_TIMEOUT_S
    ready = 0
    while ready < len(children) and time.monotonic() < deadline:
        if not os.read(ready_r, 1):
            break
        ready += 1
    os.close(go_w)  # the start signal: every waiting student's read returns now
    results = []
    for pid, result_r, student in children:
        chunks = []
        while chunk := os.read(result_r, 65536):
            chunks.append(chunk)
        os.close(result_r)
        os.waitpid(pid, 0)
        results.append(json.loads(b"".join(chunks)) if chunks else {"student": student, "ok": False,
                                                                     "error": "the process ended without a result"})
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the plan in the JSON file named by the first argument; print one JSON line per student."""
    args = sys.argv[1:] if argv is None else argv
    plan = json.loads(Path(args[0]).read_text())
    for result in run_plan(plan):
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
