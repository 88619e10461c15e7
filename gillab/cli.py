"""The ``gillab`` command: parse the arguments and hand them to the role that owns the subcommand.

Each role adds its own subcommand with an ``add_parser(subparsers)`` function: ``doctor``
(:mod:`gillab.machine.doctor`), ``lab`` (:mod:`gillab.launch`), ``bench``
(:mod:`gillab.bench.bench_command`), ``grade`` (:mod:`gillab.grading.grade_command`) and ``classroom``
(:mod:`gillab.classroom.classroom_command`). Nothing heavy
is imported until a subcommand runs.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    from . import launch
    from .bench import bench_command
    from .classroom import classroom_command
    from .grading import grade_command
    from .machine import doctor

    parser = argparse.ArgumentParser(prog="gillab", description="GIL Lab: measure Python's GIL on your machine.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for role in (doctor, launch, bench_command, grade_command, classroom_command):
        role.add_parser(subparsers)
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
