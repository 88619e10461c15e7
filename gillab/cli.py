"""The ``gillab`` command: ``gillab doctor``, ``gillab lab``, ``gillab bench``, and the commands other parts add.

Each subcommand lives in its own module; this file only parses arguments and dispatches, so
adding a command means adding one ``_add_<name>`` function and one line in ``_build_parser``.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _add_doctor(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help="what this machine and Python can show about the GIL")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")

    def run(args) -> int:
        from . import doctor

        return doctor.main(as_json=args.json)

    parser.set_defaults(run=run)


def _add_lab(subparsers) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="start JupyterLab on the course (extra arguments go to jupyter lab)",
        description="Start JupyterLab on the course. Unknown arguments, e.g. --no-browser --port 8899, "
        "are passed to jupyter lab.",
    )

    def run(args) -> int:
        from . import launch

        return launch.main(args.extra)

    parser.set_defaults(run=run, takes_extra=True)


def _add_bench(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark this machine: threads, processes, I/O, joblib, the course (prints a table, writes JSON)",
        description="Measure what this machine shows about the GIL, side by side, and write the results as JSON. "
        "The full run takes several minutes; --quick runs every part at small sizes.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: every section, well under a minute plus the course")
    parser.add_argument("--out", default="bench-results.json", metavar="FILE", help="where to write the JSON (default: %(default)s)")
    parser.add_argument(
        "--save-reference", nargs="?", const="", default=None, metavar="FOLDER",
        help="also save the result as a reference results file (default folder: the course's gillab/references)",
    )
    parser.add_argument("--course", metavar="DIR", help="the folder of notebooks course_run_s executes (default: the course's course/)")
    parser.add_argument("--skip", metavar="SECTION,...", help="sections to leave out, e.g. course_run_s,autograde")

    def run(args) -> int:
        from .bench import command
        from .reference import REFERENCE_FOLDER

        folder = None if args.save_reference is None else (args.save_reference or REFERENCE_FOLDER)
        return command.main(quick=args.quick, out=args.out, save_reference_to=folder, course=args.course, skip=args.skip)

    parser.set_defaults(run=run)


def _add_grade(subparsers) -> None:
    # the step definitions import only argparse; nbgrader loads when a step runs
    from .grading import commands

    commands.add_parser(subparsers)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gillab", description="GIL Lab: measure Python's GIL on your machine.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_doctor(subparsers)
    _add_lab(subparsers)
    _add_bench(subparsers)
    _add_grade(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``gillab`` command with ``argv`` (default: the process's own arguments); returns
    the exit status."""
    parser = _build_parser()
    args, extra = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 2
    if extra and not getattr(args, "takes_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("gillab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
