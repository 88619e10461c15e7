"""The ``gillab grade`` subcommands: arguments here, work in the modules they call.

Only :mod:`argparse` is imported at parse time; nbgrader and the rest load when a command runs.
Exit status: 0 done; 1 done, but some submissions hit a ``grading error`` (the grader's fault,
see the log); 2 bad arguments or a course that cannot be graded as asked; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run"]

_EPILOG = """steps, in order:
  gillab grade release ps1_parallel_sum --due "2026-03-01 17:00 UTC"
  gillab grade collect ps1_parallel_sum ~/Downloads/ps1-submissions.zip
  gillab grade autograde ps1_parallel_sum --jobs 2
  gillab grade feedback ps1_parallel_sum
  gillab grade export --csv grades.csv
  gillab grade report ps1_parallel_sum
"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value}")
    return value


def add_parser(subparsers) -> None:
    """Add ``grade`` and its subcommands to the ``gillab`` parser's ``subparsers``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--course", metavar="FOLDER", help="the course folder (default: the one containing the current folder)"
    )
    grade = subparsers.add_parser(
        "grade",
        help="the instructor's pipeline: release, collect, autograde (sandboxed, parallel), feedback, export, report",
        description="Grade problem sets with nbgrader: every submission in its own sandbox, in parallel, "
        "each ending with a score or a status that says why not.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    steps = grade.add_subparsers(dest="step", metavar="STEP")

    release = steps.add_parser("release", parents=[common], help="generate the student version into exercises/")
    release.add_argument("assignment")
    release.add_argument("--due", metavar="DATE", help='due date for late penalties, e.g. "2026-03-01 17:00 UTC"')
    release.add_argument(
        "--exchange", action="store_true", help="also put it into nbgrader's exchange (students fetch it there)"
    )

    collect = steps.add_parser(
        "collect", parents=[common], help="import submissions from a folder, a zip, or nbgrader's exchange"
    )
    collect.add_argument("assignment")
    collect.add_argument(
        "source", help="a folder or .zip of <student-id>.ipynb files, or 'exchange' (nbgrader's exchange)"
    )

    autograde = steps.add_parser("autograde", parents=[common], help="grade every submission, each in its own sandbox")
    autograde.add_argument("assignment")
    autograde.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="submissions graded at once (default: the CPUs this process can use)",
    )
    autograde.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    autograde.add_argument("--force", action="store_true", help="grade again submissions already graded and unchanged")
    autograde.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code without bubblewrap (NOT isolated: it runs with your rights)",
    )
    autograde.add_argument(
        "--cell-timeout",
        type=_positive,
        metavar="S",
        help="seconds per cell (default: Execute.timeout of the course, else 60)",
    )
    autograde.add_argument(
        "--notebook-timeout", type=_positive, default=600, metavar="S", help="seconds per notebook (default: 600)"
    )
    autograde.add_argument(
        "--memory-mb", type=_positive, default=2048, metavar="MB", help="address space per process (default: 2048)"
    )
    autograde.add_argument(
        "--max-processes",
        type=_positive,
        default=128,
        metavar="N",
        help="processes and threads per submission (default: 128)",
    )
    autograde.add_argument(
        "--cpu-seconds", type=_positive, default=600, metavar="S", help="CPU seconds per process (default: 600)"
    )
    autograde.add_argument(
        "--without-witness",
        action="store_true",
        help="trust the test cells' own verdicts: no witness, no tamper scan (only to measure what they cost)",
    )

    review = steps.add_parser(
        "review", parents=[common], help="list submissions that need review, or clear/uphold one"
    )
    review.add_argument("assignment")
    review.add_argument("--student", metavar="ID", help="the submission to decide on")
    decision = review.add_mutually_exclusive_group()
    decision.add_argument("--clear", metavar="WHY", help="the findings were innocent: give the withheld points")
    decision.add_argument("--uphold", metavar="WHY", help="tampering confirmed: the withheld tests keep zero")

    feedback = steps.add_parser(
        "feedback", parents=[common], help="write each student's feedback (HTML) into grader/feedback/"
    )
    feedback.add_argument("assignment")
    feedback.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    feedback.add_argument(
        "--exchange", action="store_true", help="also release it into nbgrader's exchange (students fetch it there)"
    )

    export = steps.add_parser(
        "export", parents=[common], help="write the grades, one row per student and assignment, with a status column"
    )
    export.add_argument("--csv", required=True, metavar="FILE", help="the CSV file to write ('-' for the terminal)")
    export.add_argument("--assignment", action="append", metavar="NAME", help="only this assignment (repeatable)")
    export.add_argument(
        "--format", choices=("plain", "canvas"), default="plain",
        help="plain: one row per student and assignment, with statuses (default); canvas: Canvas's gradebook import",
    )
    export.add_argument("--roster", metavar="CSV", help="the class list (id,name,email): needed by --format canvas")

    report = steps.add_parser("report", parents=[common], help="score histogram and per-test pass rates (PNG and HTML)")
    report.add_argument("assignment")
    report.add_argument("--out", metavar="FOLDER", help="where to write (default: grader/reports/<assignment>/)")

    grade.set_defaults(run=run, grade_parser=grade)


def _limits(args):
    from .sandbox.bwrap import Limits

    return Limits(memory_bytes=args.memory_mb << 20, processes=args.max_processes, cpu_seconds=args.cpu_seconds)


def _release(course, args) -> int:
    from .release import release

    info = release(course, args.assignment, due=args.due, exchange=args.exchange)
    print(f"Released {info['assignment']} into {info['release_dir']}: {', '.join(info['files'])}")
    if info["exchange"]:
        print(f"In the exchange: {info['exchange']} (students fetch it from JupyterLab's Assignments tab)")
    print(
        f"Notebooks: {', '.join(info['notebooks'])}; {info['max_score']:g} points; "
        f"due: {info['duedate'] or 'no due date'}"
    )
    return 0


def _collect(course, args) -> int:
    from .collect import collect

    report = collect(course, args.assignment, args.source)
    print(report.summary())
    return 0


def _autograde(course, args) -> int:
    from .autograde import AutogradeSettings, autograde

    settings = AutogradeSettings(
        jobs=args.jobs,
        students=args.student,
        force=args.force,
        sandbox=not args.no_sandbox,
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        limits=_limits(args),
        witness=not args.without_witness,
    )
    if args.no_sandbox:
        print(
            "WARNING: --no-sandbox: student code runs with your rights, with your files and the network.",
            file=sys.stderr,
        )
    run = autograde(course, args.assignment, settings)
    print(run.summary())
    if run.interrupted:
        return 130
    return 1 if run.counts().get("grading error") else 0


def _review(course, args) -> int:
    from .review import decide, pending_reviews

    decision = "clear" if args.clear is not None else "uphold" if args.uphold is not None else None
    if decision is None:
        pending = pending_reviews(course, args.assignment)
        if args.student:
            pending = {student: outcome for student, outcome in pending.items() if student == args.student}
        for student, outcome in pending.items():
            print(f"{student}: {outcome.reason}")
            for line in outcome.findings + outcome.disagreements:
                print(f"  - {line}")
            withheld = ", ".join(f"{name} ({points:g} if cleared)" for name, points in outcome.withheld.items())
            print(f"  withheld: {withheld or 'nothing'}")
        print(f"{len(pending)} submission(s) of {args.assignment} need review. Decide with --student ID --clear WHY "
              "or --uphold WHY, then run gillab grade feedback.")
        return 0
    if not args.student:
        raise ValueError("--clear and --uphold need --student ID: one decision per submission")
    outcome = decide(course, args.assignment, args.student, decision, args.clear or args.uphold)
    print(f"{args.student}: {outcome.notes[-1]}; score now {outcome.score:g}/{outcome.max_score:g}. "
          f"Run gillab grade feedback {args.assignment} --student {args.student} to update the feedback.")
    return 0


def _feedback(course, args) -> int:
    from .feedback import feedback

    written = feedback(course, args.assignment, students=args.student, exchange=args.exchange)
    for student, path in written.items():
        print(f"{student}: {path}")
    print(f"Feedback for {len(written)} student(s) in {course.folder('feedback')}")
    if args.exchange:
        print("Released into the exchange: students fetch it from JupyterLab's Assignments tab (Fetch Feedback)")
    return 0


def _export(course, args) -> int:
    if args.format == "canvas":
        return _export_canvas(course, args)
    from .export import export_csv

    rows = export_csv(course, args.csv, assignments=args.assignment)
    if args.csv != "-":
        print(f"Wrote {rows} row(s) to {args.csv}")
    return 0


def _export_canvas(course, args) -> int:
    from .canvas_export import write_canvas_csv

    if not args.roster:
        raise ValueError("--format canvas needs --roster FILE (the class list, columns id,name,email)")
    export = write_canvas_csv(course, args.csv, args.roster, assignments=args.assignment)
    if args.csv != "-":
        print(f"Wrote {len(export.rows) - 2} student row(s) to {args.csv} for Canvas's gradebook import "
              "(Grades > Import)")
    if export.summary():
        print(export.summary(), file=sys.stderr)
    return 0


def _report(course, args) -> int:
    from .report import write_report

    paths = write_report(course, args.assignment, out_dir=args.out)
    print(f"Report: {paths['html']} (chart: {paths['png']})")
    return 0


_STEPS = {
    "release": _release,
    "collect": _collect,
    "autograde": _autograde,
    "review": _review,
    "feedback": _feedback,
    "export": _export,
    "report": _report,
}


def run(args) -> int:
    """Run the chosen ``gillab grade`` step; errors become one clear message and status 2."""
    if not getattr(args, "step", None):
        args.grade_parser.print_help()
        return 2
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print(
            f"gillab grade {args.step}: nbgrader is not installed in this Python ({sys.executable}). "
            "Run the grading steps from the course's .venv (`make setup` installs nbgrader there), "
            "e.g. `.venv/bin/gillab grade ...`. The free-threaded venv cannot hold nbgrader on Python 3.13; "
            "to grade on the free-threaded kernel, see the README's instructor section (c.Execute.kernel_name).",
            file=sys.stderr,
        )
        return 2
    from .course import Course, CourseNotFound
    from .sandbox.bwrap import SandboxUnavailable

    try:
        course = Course.load(args.course)
        return _STEPS[args.step](course, args)
    except (CourseNotFound, SandboxUnavailable, LookupError, ValueError, RuntimeError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, LookupError) and error.args else str(error)
        print(f"gillab grade {args.step}: {message}", file=sys.stderr)
        return 2
