"""The evidence protocol between a probe in the student's kernel and the grader's witness outside it.

While ``gillab grade`` grades a submission, the kernel's environment names a folder shared with the
grading worker (:data:`WITNESS_ENV`). A probe then keeps its raw records there, one folder per probe
(:func:`new_probe_folder`), and hands two moments to the witness (:mod:`gillab.grading.witness`)
instead of deciding them itself:

- the **rendezvous**: a chunk probe announces each worker (``arrive-<identity>``) and waits until
  the WITNESS writes ``met``, which it does only after it has found that many distinct threads or
  processes of the kernel alive in ``/proc``; a request gate writes ``gathered`` and waits until the
  witness, having counted the connections in the kernel's own TCP table, writes ``released``;
- the **end of each call**: a chunk probe writes its record (``call-<id>.json``) and waits for
  ``ack-<id>``, so that the witness reads the thread's CPU time while the thread still exists.

Every wait is bounded. Without a witness (a learner running a notebook) probes decide alone, as
they always did. Nothing here is trusted by the grader: a student's code can write these files
too; the witness believes only what ``/proc`` confirms.

>>> import tempfile, os
>>> folder = new_probe_folder("chunks", tempfile.mkdtemp())
>>> folder.name.startswith("chunks-")
True
>>> touch(folder / "met"); wait_for(folder, ("met", "gave-up"), timeout_s=1)
'met'
>>> wait_for(folder, ("released",), timeout_s=0.01) is None
True
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

__all__ = [
    "WITNESS_ENV",
    "KINDS",
    "POLL_S",
    "ACK_WAIT_S",
    "witness_folder",
    "new_probe_folder",
    "touch",
    "wait_for",
    "meet",
    "read_calls",
]

#: The environment variable naming the folder the grader's witness watches.
WITNESS_ENV = "GILLAB_WITNESS_DIR"
#: Probe folders are named ``<kind>-<random>``.
KINDS = ("chunks", "requests")
#: How often a waiting probe looks again.
POLL_S = 0.002
#: How long a call waits for the witness to read its thread's CPU time; a witness that never
#: answers (a grader bug) costs this once per call, never a hang.
ACK_WAIT_S = 10.0


def witness_folder() -> Path | None:
    """The folder the grader's witness watches, or ``None`` when no grader is watching."""
    value = os.environ.get(WITNESS_ENV, "")
    return Path(value) if value and os.path.isdir(value) else None


def new_probe_folder(kind: str, parent: str | os.PathLike | None = None) -> Path:
    """A new, empty folder for one probe's records: in ``parent`` (the witness's folder) or in the
    temporary folder."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return Path(tempfile.mkdtemp(prefix=f"{kind}-" if parent else f"gillab-probe-{kind}-", dir=parent))


def touch(path: Path) -> None:
    """Create ``path`` if it is not there; nothing if its folder is gone (nobody listens any more)."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def wait_for(folder: Path, names, timeout_s: float) -> str | None:
    """The first of ``names`` to exist in ``folder`` within ``timeout_s`` seconds, else ``None``
    (also when the folder is gone)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            present = set(os.listdir(folder))
        except OSError:
            return None
        found = next((name for name in names if name in present), None)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(POLL_S)


def meet(folder: Path, workers: int, timeout_s: float) -> None:
    """Wait in ``folder`` until ``workers`` distinct ``arrive-*`` files are there (then write
    ``met``), someone wrote ``met`` or ``gave-up``, or ``timeout_s`` passed (then write ``gave-up``,
    so that a serial program waits once, not at every call). Returns at once when the folder is
    gone: the run has ended, and a straggler must not be held.

    The caller writes its own ``arrive-<who>`` first; only workers alive at the same time can all
    arrive before the first of them gives up.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> touch(folder / "arrive-1"); touch(folder / "arrive-2")
    >>> meet(folder, workers=2, timeout_s=1.0)
    >>> sorted(os.listdir(folder))
    ['arrive-1', 'arrive-2', 'met']
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            names = os.listdir(folder)
        except OSError:
            return
        if "met" in names or "gave-up" in names:
            return
        if sum(name.startswith("arrive-") for name in names) >= workers:
            touch(folder / "met")
            return
        if time.monotonic() > deadline:
            touch(folder / "gave-up")
            return
        time.sleep(POLL_S)


def read_calls(folder: Path, make, order=lambda call: call.start) -> tuple[bool, list]:
    """What a probe's folder holds at the end of a run: whether its rendezvous was ``met``, and
    each ``call-*.json`` record made into ``make(**fields)``, sorted by ``order`` (by default their
    ``start``). A record
    that is half written or not what ``make`` takes is skipped (a worker may have been stopped
    mid-write); the grader's witness judges from /proc what the records alone cannot prove.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "call-2.json").write_text('{"start": 2}')
    >>> _ = (folder / "call-1.json").write_text('{"start": 1}')
    >>> _ = (folder / "call-3.json").write_text('{"sta')
    >>> from types import SimpleNamespace
    >>> read_calls(folder, SimpleNamespace)
    (False, [namespace(start=1), namespace(start=2)])
    """
    met = "met" in os.listdir(folder)
    calls = []
    for record in sorted(folder.glob("call-*.json")):
        with contextlib.suppress(OSError, ValueError, TypeError):
            calls.append(make(**json.loads(record.read_text())))
    return met, sorted(calls, key=order)
