"""``gillab classroom start|stop|status|add-students``: the course on a real JupyterHub on this machine.

Exit status: 0 done; 1 the hub failed or stopped by itself, or processes were left after a stop;
2 this machine cannot run the classroom, or bad input (the message says what to change).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]

_EPILOG = """examples (as root):
  gillab classroom start --roster students.csv            on http://127.0.0.1:8000/, Ctrl-C stops it
  gillab classroom start --ip 0.0.0.0 --port 8080 --detach
  gillab classroom add-students more-students.csv
  gillab classroom status
  gillab classroom stop
"""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {value}")
    return value


def _megabytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of megabytes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 MB, got {value}")
    return value


def add_parser(subparsers) -> None:
    """Add ``classroom`` and its subcommands to the ``gillab`` parser's ``subparsers``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--course", metavar="FOLDER", help="the course folder (default: the one containing this folder)"
    )
    common.add_argument("--state", metavar="FOLDER", help="the classroom's own files (default: COURSE/.classroom)")
    classroom = subparsers.add_parser(
        "classroom",
        help="the course on a real JupyterHub on this machine: students fetch, submit and get feedback",
        description="A classroom on one Linux machine (needs root, node and npm): JupyterHub with one Unix "
        "account per student, nbgrader's exchange, Assignments for students, Formgrader for the instructor.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    steps = classroom.add_subparsers(dest="step", metavar="STEP")
    start = steps.add_parser("start", parents=[common], help="set up and start the hub (Ctrl-C stops everything)")
    start.add_argument("--ip", default="127.0.0.1", help="the address students connect to (default: 127.0.0.1)")
    start.add_argument("--port", type=_port, default=8000, help="the port students connect to (default: 8000)")
    start.add_argument("--roster", metavar="CSV", help="add the students of this roster (columns id,name,email)")
    start.add_argument("--instructor", default="instructor", help="the instructor's user name (default: instructor)")
    start.add_argument(
        "--share", metavar="FOLDER", help="exchange and shared configuration (default: /srv/gillab/COURSE_ID)"
    )
    start.add_argument("--groups", metavar="PREFIX", help="Unix groups PREFIX-students, PREFIX-instructors "
                       "(default: the course id)")
    start.add_argument("--max-submission-mb", type=_megabytes, default=None, metavar="MB",
                       help="the largest submission (default: 20)")
    start.add_argument("--detach", action="store_true", help="return once the hub is ready; stop it with 'stop'")
    steps.add_parser(
        "stop", parents=[common], help="stop the hub, the proxy, every server, kernel and leftover process"
    )
    steps.add_parser("status", parents=[common], help="whether the classroom runs, where, and whose servers")
    add = steps.add_parser("add-students", parents=[common], help="create accounts for the students of a roster")
    add.add_argument("roster", help="a CSV file with the columns id,name,email")
    bench = steps.add_parser("bench", parents=[common], help="time a classroom of its own: hub ready, N submissions "
                             "at once, collect and autograde (a few minutes; removes its accounts)")
    bench.add_argument("--students", type=_port, default=20, help="how many students submit at once (default: 20)")
    classroom.set_defaults(run=run, classroom_parser=classroom)


def _classroom(args, for_start: bool):
    from ..grading.course import Course, find_course
    from .hub import Classroom
    from .settings import DEFAULT_MAX_SUBMISSION_MB, ClassroomSettings

    root = find_course(args.course)
    state = Path(args.state) if args.state else root / ".classroom"
    if for_start:
        course_id = Course.load(root).coursedir().course_id
        settings = ClassroomSettings(
            state_dir=state, course_id=course_id, instructor=args.instructor, ip=args.ip, port=args.port,
            share_dir=Path(args.share) if args.share else None, group_prefix=args.groups,
            max_submission_mb=args.max_submission_mb or DEFAULT_MAX_SUBMISSION_MB,
        )
    else:
        settings = ClassroomSettings.load(state)
    return Classroom(settings, root)


def _print_stop(report) -> int:
    if report.hub_stopped:
        print(f"Stopped the hub and the proxy ({len(report.servers)} user server(s) with their kernels: "
              f"{', '.join(report.servers) or 'none'}) in {report.seconds:.1f} s.")
    else:
        print("No hub was running.")
    if report.swept:
        print(f"Ended {report.swept} leftover process(es) of the course's accounts.")
    if report.leftovers:
        print("STILL RUNNING after the stop:\n  " + "\n  ".join(report.leftovers), file=sys.stderr)
        return 1
    print("Nothing of the classroom is left running.")
    return 0


def _start(classroom, args) -> int:
    from .hub import HubFailed

    report = classroom.start(Path(args.roster) if args.roster else None)
    settings = classroom.settings
    print(f"The classroom is ready at {report.url} ({report.ready_s:.1f} s, setup {report.setup_s:.1f} s).")
    print(f"  instructor: {settings.instructor}; students: {len(classroom.students())}; course: {settings.course_id}")
    if report.new_accounts:
        print(f"  first passwords of the {len(report.new_accounts)} new account(s): {classroom.passwords_file}")
    print(f"  exchange: {settings.exchange_root}; hub log: {classroom.log_file}")
    if args.detach:
        print("  stop it with: make classroom-stop (gillab classroom stop)")
        return 0
    print("  Ctrl-C (or make classroom-stop elsewhere) stops the hub, every server, kernel and process of the class.")
    stopping = {"asked": False}

    def _stop_on_signal(signum, frame):
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    try:
        status = report.process.wait()
    except KeyboardInterrupt:
        stopping["asked"] = True
        status = None
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # the stop below is bounded; a second Ctrl-C must not cut it short
    print("\nStopping the classroom ...", flush=True)
    stopped_by_command = (settings.hub_dir / "stop-requested").exists()
    code = _print_stop(classroom.stop())
    if status is not None and not stopped_by_command and not stopping["asked"]:
        print(str(HubFailed(f"the hub stopped by itself (status {status}). The end of its log:\n"
                            f"{classroom.log_tail()}")), file=sys.stderr)
        return 1
    return code


def _stop(classroom, args) -> int:
    return _print_stop(classroom.stop())


def _status(classroom, args) -> int:
    status = classroom.status()
    if not status["running"]:
        print(f"No classroom is running from {status['state']}.")
        return 0
    print(f"The classroom runs at {status['url']} (hub pid {status['pid']}); instructor {status['instructor']}, "
          f"{status['students']} student(s); servers running: {', '.join(status['servers']) or 'none'}")
    return 0


def _add_students(classroom, args) -> int:
    made = classroom.add_students(Path(args.roster))
    print(f"{len(classroom.students())} student(s) in the classroom; {len(made)} new account(s)"
          + (f", first passwords in {classroom.passwords_file}" if made else ""))
    return 0


def _bench(classroom, args) -> int:
    from .classroom_benchmark import format_benchmark, run_classroom_benchmark

    print(format_benchmark(run_classroom_benchmark(classroom.course_root, students=args.students)))
    return 0


_STEPS = {"start": _start, "stop": _stop, "status": _status, "add-students": _add_students, "bench": _bench}


def run(args) -> int:
    """Run the chosen ``gillab classroom`` step; errors become one clear message and status 2."""
    if not getattr(args, "step", None):
        args.classroom_parser.print_help()
        return 2
    from ..grading.course import CourseNotFound
    from .accounts import AccountError, ClassroomUnavailable, check_machine
    from .exchange import ExchangeProblem
    from .hub import ClassroomRunning, HubFailed, PortInUse
    from .installs import InstallError

    try:
        check_machine(need_node=args.step in ("start", "bench"))
        if args.step == "bench":
            from ..grading.course import find_course
            from .hub import Classroom

            classroom = Classroom(None, find_course(args.course))
        else:
            classroom = _classroom(args, for_start=args.step == "start")
        return _STEPS[args.step](classroom, args)
    except HubFailed as error:
        print(f"gillab classroom {args.step}: {error}", file=sys.stderr)
        return 1
    except (ClassroomUnavailable, ClassroomRunning, PortInUse, ExchangeProblem, AccountError, InstallError,
            CourseNotFound, ValueError, FileNotFoundError) as error:
        print(f"gillab classroom {args.step}: {error}", file=sys.stderr)
        return 2
