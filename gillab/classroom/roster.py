"""The class list: a CSV file with the columns ``id,name,email``, one student a row.

The id becomes the student's Unix user name on the classroom machine (and nbgrader's student id),
so it must be one: lower-case letters, digits, ``_`` and ``-``, starting with a letter or ``_``,
at most 32 characters (Debian's ``useradd`` accepts more, but other tools do not). A roster with a
bad id, a duplicate id, or a missing column is refused as a whole, every problem listed with its
line, so that no class is half created.

>>> import io
>>> students = parse_roster(io.StringIO("id,name,email\\nann,Ann Lee,ann@uni.example\\nbob,,\\n"))
>>> [(s.id, s.name, s.sortable_name) for s in students]
[('ann', 'Ann Lee', 'Lee, Ann'), ('bob', 'bob', 'bob')]
>>> try:
...     parse_roster(io.StringIO("id,name,email\\nann,A,\\nAnn.Lee,B,\\nann,C,\\n"))
... except RosterError as error:
...     print(str(error).replace(" (", "\\n  ("))
<roster> has 2 problems:
  line 3: id 'Ann.Lee' cannot be a Unix user name
  (lower-case letters, digits, _ and -, starting with a letter or _, at most 32 characters)
  line 4: id 'ann' is already on line 2
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Student", "RosterError", "parse_roster", "read_roster", "write_roster", "merge_rosters", "valid_user_name"]

COLUMNS = ("id", "name", "email")
_USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_RULE = "lower-case letters, digits, _ and -, starting with a letter or _, at most 32 characters"


class RosterError(ValueError):
    """The roster cannot be used; the message lists every problem with its line."""


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    id: str
    name: str
    email: str = ""

    @property
    def sortable_name(self) -> str:
        """``Last, First`` (what Canvas calls the sortable name); the name itself if it is one word."""
        parts = self.name.split()
        return f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else self.name


def valid_user_name(text: str) -> bool:
    """Whether ``text`` can be a Unix user name here.

    >>> valid_user_name("s123"), valid_user_name("123"), valid_user_name("ann lee"), valid_user_name("x" * 33)
    (True, False, False, False)
    """
    return bool(_USER_NAME.match(text))


def parse_roster(stream, label: str = "<roster>") -> list[Student]:
    """The students of a roster read from ``stream``; :class:`RosterError` listing every problem."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise RosterError(f"{label} is empty: it needs a header line 'id,name,email' and one line per student")
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise RosterError(
            f"{label}: the first line must name the columns id,name,email (missing: {', '.join(missing)}; "
            f"found: {','.join(header)})"
        )
    where = {column: names.index(column) for column in COLUMNS}
    problems, students, seen = [], [], {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {column: (row[index].strip() if index < len(row) else "") for column, index in where.items()}
        student_id = cells["id"]
        if not student_id:
            problems.append(f"line {line}: no id")
            continue
        if not valid_user_name(student_id):
            problems.append(f"line {line}: id {student_id!r} cannot be a Unix user name ({_RULE})")
            continue
        if student_id in seen:
            problems.append(f"line {line}: id {student_id!r} is already on line {seen[student_id]}")
            continue
        if cells["email"] and "@" not in cells["email"]:
            problems.append(f"line {line}: email {cells['email']!r} of {student_id!r} has no @")
            continue
        seen[student_id] = line
        students.append(Student(student_id, cells["name"] or student_id, cells["email"]))
    if problems:
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        raise RosterError(f"{label} has {count}:\n  " + "\n  ".join(problems))
    return students


def read_roster(path: str | Path) -> list[Student]:
    """:func:`parse_roster` of the file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except FileNotFoundError:
        raise RosterError(f"roster {path} does not exist: give a CSV file with the columns id,name,email") from None
    except UnicodeDecodeError as error:
        raise RosterError(f"roster {path} is not UTF-8 text ({error}): save it as CSV UTF-8") from None
    return parse_roster(io.StringIO(text), label=str(path))


def write_roster(path: str | Path, students: list[Student]) -> None:
    """Write ``students`` as a roster CSV."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for student in students:
            writer.writerow([student.id, student.name, student.email])


def merge_rosters(current: list[Student], added: list[Student]) -> list[Student]:
    """``current`` with ``added`` appended; a student already there is updated (name, email).

    >>> merge_rosters([Student("ann", "Ann")], [Student("bob", "Bob"), Student("ann", "Ann Lee")])
    [Student(id='ann', name='Ann Lee', email=''), Student(id='bob', name='Bob', email='')]
    """
    merged = {student.id: student for student in current}
    for student in added:
        merged[student.id] = student
    return list(merged.values())
