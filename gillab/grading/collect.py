"""``gillab grade collect``: bring submissions into nbgrader's ``submitted`` folder.

Three kinds of source:

- a **folder** with one notebook per student named by student id (``s123456.ipynb``), or one
  folder per student (``s123456/`` with the assignment's notebooks and any data files);
- a **zip** of such a folder (what a learning-management system download usually is);
- nbgrader's **exchange**: the word ``exchange`` (the course's configured ``Exchange.root``), or
  the path of an exchange root. Each student's newest submission in ``inbound`` is taken, as
  nbgrader's own ``collect --update`` does, with two checks nbgrader lacks: a submission whose
  files belong to another Unix user than the student it names is refused (``nbgrader submit
  --student=other`` lets anyone submit under another's name; nbgrader's collect only warns), and
  so is one over the course's size limit (``CourseDirectory.max_dir_size``). A refused submission
  is left where it is and the student's newest acceptable one is taken instead. Every submission
  seen, with its time, is appended to ``grader/logs/<assignment>/exchange-collect.log``: a
  resubmission replaces the first in ``submitted/``, and the log keeps both times.

A submission lands in ``grader/submitted/<student>/<assignment>/``. Its time comes from
``<student>.timestamp.txt`` (or ``timestamp.txt`` in the student's folder); without one nbgrader
counts it as on time, and the report says which submissions have none. Everything not taken
is listed with the reason. Files are not checked for being valid notebooks here: autograding
records ``not a notebook`` for those, so the student hears about it.
"""

from __future__ import annotations

import pwd
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import assignment_notebooks

__all__ = ["collect", "CollectReport", "valid_student_id", "MAX_FILE_BYTES", "MAX_ZIP_BYTES"]

#: The largest single file taken from a zip, and the most a zip may unpack to in total.
MAX_FILE_BYTES = 100 << 20
MAX_ZIP_BYTES = 2 << 30
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")


def valid_student_id(text: str) -> bool:
    """Whether ``text`` can be a student id (letters, digits and ``_ . @ + -``, no path tricks).

    >>> valid_student_id("s123456"), valid_student_id("ann.lee@uni.example"), valid_student_id("../x")
    (True, True, False)
    """
    return bool(_STUDENT_ID.match(text)) and ".." not in text


@dataclass
class CollectReport:
    """What ``collect`` took, replaced, left alone and skipped (with reasons)."""

    assignment: str
    collected: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (name, reason)
    without_timestamp: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (exchange entry, reason)
    history: dict = field(default_factory=dict)  # {student: [timestamps of every submission seen]}

    def summary(self) -> str:
        """What happened, for people."""
        lines = [
            f"{self.assignment}: {len(self.collected)} new, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped."
        ]
        for name, reason in self.skipped:
            lines.append(f"  skipped {name}: {reason}")
        for name, reason in self.refused:
            lines.append(f"  REFUSED {name}: {reason}")
        for student, times in sorted(self.history.items()):
            if len(times) > 1:
                lines.append(f"  {student}: {len(times)} submissions ({'; '.join(times)}), the newest taken")
        for warning in self.warnings:
            lines.append(f"  {warning}")
        if self.without_timestamp:
            lines.append(
                f"  {len(self.without_timestamp)} submission(s) have no timestamp and count as on time: "
                + ", ".join(self.without_timestamp)
            )
        return "\n".join(lines)


def _same_tree(first: Path, second: Path) -> bool:
    if not second.is_dir():
        return False
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file()):
        return False
    return all((first / name).read_bytes() == (second / name).read_bytes() for name in names)


def _store(course, report: CollectReport, student: str, staged: Path) -> None:
    """Move one staged submission into place, replacing an older different one."""
    destination = course.folder("submitted", student, report.assignment)
    if not (staged / "timestamp.txt").exists():
        report.without_timestamp.append(student)
    if _same_tree(staged, destination):
        report.unchanged.append(student)
        return
    existed = destination.exists()
    destination.parent.mkdir(parents=True, exist_ok=True)
    if existed:
        shutil.rmtree(destination)
    shutil.copytree(staged, destination)
    (report.updated if existed else report.collected).append(student)


def _check_timestamp(path: Path) -> str | None:
    from nbgrader.utils import parse_utc

    try:
        parse_utc(path.read_text().strip())
    except (ValueError, OverflowError, TypeError, OSError):
        return f"{path.name} is not a date and time (example: 2026-03-01 17:00:00.000000 UTC)"
    return None


def _copy_files(source: Path, destination: Path, report: CollectReport, label: str) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink():
            report.skipped.append((f"{label}/{relative}", "a symbolic link"))
        elif path.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination / relative)


def _from_folder(course, report: CollectReport, folder: Path, notebooks: list[str]) -> None:
    entries = sorted(folder.iterdir())
    sidecars = {p.name[: -len(".timestamp.txt")]: p for p in entries if p.name.endswith(".timestamp.txt")}
    with tempfile.TemporaryDirectory(prefix="gillab-collect-") as scratch:
        for entry in entries:
            if entry.name in ("__MACOSX",) or entry.name.startswith(".") or entry.name.endswith(".timestamp.txt"):
                continue
            student = entry.stem if entry.is_file() else entry.name
            if entry.is_symlink():
                report.skipped.append((entry.name, "a symbolic link"))
                continue
            if entry.is_file() and entry.suffix != ".ipynb":
                report.skipped.append(
                    (
                        entry.name,
                        f"not a notebook file name (want <student-id>.ipynb, got {entry.suffix or 'no extension'})",
                    )
                )
                continue
            if not valid_student_id(student):
                report.skipped.append(
                    (entry.name, f"{student!r} is not a student id (letters, digits, _ . @ + - only)")
                )
                continue
            staged = Path(scratch) / student
            staged.mkdir()
            if entry.is_file():
                if len(notebooks) != 1:
                    report.skipped.append(
                        (
                            entry.name,
                            f"the assignment has {len(notebooks)} notebooks ({', '.join(notebooks)}): "
                            "give each student a folder",
                        )
                    )
                    continue
                shutil.copyfile(entry, staged / f"{notebooks[0]}.ipynb")
                sidecar = sidecars.get(student)
            else:
                inner = entry / report.assignment if (entry / report.assignment).is_dir() else entry
                _copy_files(inner, staged, report, entry.name)
                sidecar = staged / "timestamp.txt" if (staged / "timestamp.txt").exists() else sidecars.get(student)
                if not any(staged.glob("*.ipynb")):
                    report.skipped.append((entry.name, "the folder holds no notebook"))
                    continue
            if sidecar is not None:
                problem = _check_timestamp(sidecar)
                if problem:
                    report.skipped.append((sidecar.name, f"{problem}; the submission is taken without it"))
                    (staged / "timestamp.txt").unlink(missing_ok=True)
                elif sidecar != staged / "timestamp.txt":
                    shutil.copyfile(sidecar, staged / "timestamp.txt")
            _store(course, report, student, staged)
        for student, sidecar in sidecars.items():
            if not (folder / f"{student}.ipynb").exists() and not (folder / student).is_dir():
                report.skipped.append((sidecar.name, "a timestamp without a submission"))


def _unzip(archive: Path, target: Path, report: CollectReport) -> Path:
    """Unpack ``archive`` safely (no absolute paths, no ``..``, no links, size caps)."""
    try:
        bundle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{archive} is not a zip file ({error})") from None
    total = 0
    with bundle:
        for info in bundle.infolist():
            name = info.filename
            parts = Path(name).parts
            if info.is_dir():
                continue
            if name.startswith("/") or ".." in parts or not parts:
                report.skipped.append((name, "an unsafe path inside the zip"))
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                report.skipped.append((name, "a symbolic link"))
                continue
            if info.file_size > MAX_FILE_BYTES:
                report.skipped.append((name, f"larger than {MAX_FILE_BYTES >> 20} MB"))
                continue
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise ValueError(
                    f"{archive} unpacks to more than {MAX_ZIP_BYTES >> 30} GB; "
                    "unpack it yourself and collect the folder"
                )
            destination = target.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(info) as source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink)
    return target


def _unwrap(root: Path, notebooks: list[str]) -> Path:
    """The folder holding the submissions: zips often wrap everything in one folder.

    A single folder is a wrapper unless it holds one of the assignment's notebooks by name
    (then it is one student's folder).
    """
    while True:
        children = [p for p in root.iterdir() if p.name != "__MACOSX"]
        if len(children) != 1 or not children[0].is_dir():
            return root
        if any((children[0] / f"{name}.ipynb").exists() for name in notebooks):
            return root
        root = children[0]


_ENTRY = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)(?:\+[^+]*)?$")


def _exchange_inbound(course, root: str | None) -> Path:
    configured = course.config.get("Exchange", {}).get("root")
    base = root or configured
    if not base:
        raise ValueError(
            f"the course's configuration ({course.config_file}) names no exchange (c.Exchange.root): "
            "give the exchange's folder instead of 'exchange'"
        )
    inbound = Path(base) / course.coursedir().course_id / "inbound"
    if not inbound.is_dir():
        raise FileNotFoundError(
            f"{inbound} does not exist: nothing was released into this exchange yet "
            "(gillab grade release ASSIGNMENT --exchange)"
        )
    return inbound


def _is_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _ownership_problem(entry: Path, student: str) -> str | None:
    """Why ``entry`` cannot be ``student``'s, judged by who owns its files; None if it can be, or
    if ``student`` is not a user on this machine (then nothing can be judged)."""
    try:
        uid = pwd.getpwnam(student).pw_uid
    except KeyError:
        return None
    for path in [entry, *sorted(entry.rglob("*"))]:
        owner = path.lstat().st_uid
        if owner != uid:
            try:
                name = pwd.getpwuid(owner).pw_name
            except KeyError:
                name = f"uid {owner}"
            where = "the folder" if path == entry else str(path.relative_to(entry))
            return (f"names {student} but {where} belongs to {name}: not collected (someone submitted under "
                    f"another student's name, e.g. with nbgrader submit --student={student}); ask {student}")
    return None


def _size(entry: Path) -> int:
    return sum(p.lstat().st_size for p in entry.rglob("*") if p.is_file() and not p.is_symlink())


def _from_exchange(course, report: CollectReport, root: str | None) -> None:
    from datetime import datetime, timezone

    from nbgrader.utils import parse_utc

    inbound = _exchange_inbound(course, root)
    try:
        entries = sorted(inbound.iterdir())
    except PermissionError:
        raise PermissionError(
            f"cannot list {inbound}: run collect as the instructor who owns the exchange's course folder"
        ) from None
    limit = int(course.config.get("CourseDirectory", {}).get("max_dir_size", 100000)) * 1000
    candidates: dict[str, list] = {}
    log, unchecked = [], set()
    for entry in entries:
        match = _ENTRY.match(entry.name)
        if not match or match["assignment"] != report.assignment or not entry.is_dir() or entry.is_symlink():
            continue
        student = match["student"]
        try:
            when = parse_utc(match["timestamp"])
        except (ValueError, OverflowError, TypeError):
            report.refused.append((entry.name, "its name holds no date and time"))
            continue
        if not valid_student_id(student):
            reason = f"{student!r} is not a student id"
        else:
            reason = _ownership_problem(entry, student)
            if not _is_user(student):
                unchecked.add(student)
        if reason is None and _size(entry) > limit:
            reason = (f"{_size(entry) / 1e6:.1f} MB, over the course's limit of {limit / 1e6:.1f} MB "
                      "(CourseDirectory.max_dir_size): not collected; the student's earlier submission is taken")
        if reason:
            report.refused.append((entry.name, reason))
            log.append((student, match["timestamp"], entry.name, f"refused: {reason}"))
            continue
        report.history.setdefault(student, []).append(match["timestamp"])
        candidates.setdefault(student, []).append((when, entry))
    if unchecked:
        report.warnings.append(
            f"owners not checked for {', '.join(sorted(unchecked))}: not users on this machine"
        )
    with tempfile.TemporaryDirectory(prefix="gillab-collect-") as scratch:
        for student, found in sorted(candidates.items()):
            found.sort(key=lambda item: item[0])
            for _, older in found[:-1]:
                log.append((student, older.name.split("+")[2], older.name, "older: replaced by a newer one"))
            newest = found[-1][1]
            staged = Path(scratch) / student
            staged.mkdir()
            try:
                _copy_files(newest, staged, report, newest.name)
            except OSError as error:
                reason = f"cannot be read ({error.strerror}: {error.filename}): not collected"
                report.refused.append((newest.name, reason))
                log.append((student, newest.name.split("+")[2], newest.name, f"refused: {reason}"))
                continue
            if not (staged / "timestamp.txt").exists():
                (staged / "timestamp.txt").write_text(newest.name.split("+")[2])
            log.append((student, newest.name.split("+")[2], newest.name, "taken"))
            _store(course, report, student, staged)
    for times in report.history.values():
        times.sort()
    folder = course.logs_dir / report.assignment
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    with open(folder / "exchange-collect.log", "a") as stream:
        for student, when, name, what in sorted(log):
            stream.write(f"{now}\t{student}\t{when}\t{name}\t{what}\n")


def collect(course, assignment: str, source: str) -> CollectReport:
    """Collect the submissions of ``assignment`` from ``source`` (folder, zip, or exchange)."""
    notebooks = assignment_notebooks(course, assignment)
    report = CollectReport(assignment=assignment)
    path = Path(source).expanduser()
    if source == "exchange":
        _from_exchange(course, report, None)
    elif path.is_dir() and (path / course.coursedir().course_id / "inbound").is_dir():
        _from_exchange(course, report, str(path.resolve()))
    elif path.is_dir():
        _from_folder(course, report, path, notebooks)
    elif path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="gillab-unzip-") as scratch:
            _from_folder(course, report, _unwrap(_unzip(path, Path(scratch), report), notebooks), notebooks)
    elif path.exists():
        raise ValueError(f"{source} is neither a folder nor a .zip file")
    else:
        raise FileNotFoundError(f"{source} does not exist (give a folder, a .zip, or 'exchange')")
    return report
