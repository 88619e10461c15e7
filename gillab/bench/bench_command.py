"""``gillab bench``: check the arguments, run the benchmark, print the table, write the files.

Arguments are checked before anything runs, so a typo costs a second, not a five-minute run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..show.references import REFERENCE_FOLDER, save_reference
from .bench_settings import settings_for
from .run import SECTIONS, run_benchmark
from .table import format_table

__all__ = ["add_parser", "main", "check_arguments", "DEFAULT_OUT"]

DEFAULT_OUT = "bench-results.json"


class ArgumentProblem(ValueError):
    """A bad command-line argument; its message says what was wrong and what is allowed."""


def _writable_folder(folder: Path, what: str) -> None:
    existing = next((path for path in [folder, *folder.parents] if path.exists()), None)
    if existing is None or not existing.is_dir():
        raise ArgumentProblem(f"{what}: {existing} is not a folder")
    if not os.access(existing, os.W_OK):
        raise ArgumentProblem(f"{what}: cannot write in {existing}")


def check_arguments(quick: bool, out, save_reference_to, course, skip) -> dict:
    """The arguments as paths and a list of sections; raise :class:`ArgumentProblem` when bad."""
    out = Path(out)
    if out.is_dir():
        raise ArgumentProblem(f"--out {out}: is a folder; give a file name such as {out / DEFAULT_OUT}")
    if not out.parent.is_dir():
        raise ArgumentProblem(f"--out {out}: the folder {out.parent} does not exist")
    _writable_folder(out.parent, f"--out {out}")
    folder = None
    if save_reference_to is not None:
        folder = Path(save_reference_to)
        if folder.exists() and not folder.is_dir():
            raise ArgumentProblem(f"--save-reference {folder}: is a file, not a folder")
        _writable_folder(folder, f"--save-reference {folder}")
        if quick and folder.resolve() == REFERENCE_FOLDER.resolve():
            raise ArgumentProblem(
                "--quick results are too small to ship as the course's references; run without --quick, "
                "or give --save-reference a folder of your own"
            )
    if course is not None and not Path(course).is_dir():
        raise ArgumentProblem(f"--course {course}: no such folder")
    sections = [name.strip() for name in (skip or "").split(",") if name.strip()]
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise ArgumentProblem(
            f"--skip {skip}: unknown section {', '.join(unknown)}; the sections are {', '.join(SECTIONS)}"
        )
    return {"out": out, "reference_folder": folder, "course": course, "skip": sections}


def _progress(section, done, total, label) -> None:
    # ``done`` counts the steps finished before this one; the last call reports all of them done
    count = f" {min(done + 1, total)}/{total}" if total else ""
    print(f"  [{section}]{count} {label}", file=sys.stderr, flush=True)


def main(quick=False, out=DEFAULT_OUT, save_reference_to=None, course=None, skip=None) -> int:
    """Run ``gillab bench``; 0 when every section ran (or was not available), 1 when one failed,
    2 for bad arguments."""
    try:
        checked = check_arguments(quick, out, save_reference_to, course, skip)
    except ArgumentProblem as problem:
        print(f"gillab bench: {problem}", file=sys.stderr)
        return 2
    settings = settings_for(quick)
    print(f"gillab bench: {settings.name} run; progress below, the table at the end", file=sys.stderr, flush=True)
    result = run_benchmark(settings, course_folder=checked["course"], skip=checked["skip"], on_progress=_progress)
    checked["out"].write_text(json.dumps(result, indent=2) + "\n")
    print(format_table(result))
    print(f"\nWrote {checked['out']}")
    if checked["reference_folder"] is not None:
        print(f"Saved the reference {save_reference(result, checked['reference_folder'])}")
    failed = [name for name in SECTIONS if result[name]["status"] == "failed"]
    if failed:
        print(f"gillab bench: these sections failed: {', '.join(failed)} (see the table)", file=sys.stderr)
        return 1
    return 0


def add_parser(subparsers) -> None:
    """Add ``bench`` to the ``gillab`` command's ``subparsers``."""
    parser = subparsers.add_parser(
        "bench",
        help="benchmark this machine: threads, processes, I/O, joblib, the course (prints a table, writes JSON)",
        description="Measure what this machine shows about the GIL, side by side, and write the results as JSON. "
        "The full run takes several minutes; --quick runs every part at small sizes.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: every section, well under a minute plus the course"
    )
    parser.add_argument(
        "--out", default="bench-results.json", metavar="FILE", help="where to write the JSON (default: %(default)s)"
    )
    parser.add_argument(
        "--save-reference",
        nargs="?",
        const="",
        default=None,
        metavar="FOLDER",
        help="also save the result as a reference results file (default folder: the course's gillab/references)",
    )
    parser.add_argument(
        "--course", metavar="DIR", help="the folder of notebooks course_run_s executes (default: the course's course/)"
    )
    parser.add_argument("--skip", metavar="SECTION,...", help="sections to leave out, e.g. course_run_s,autograde")

    def run(args) -> int:
        folder = None if args.save_reference is None else (args.save_reference or REFERENCE_FOLDER)
        return main(quick=args.quick, out=args.out, save_reference_to=folder, course=args.course, skip=args.skip)

    parser.set_defaults(run=run)
