"""The roster: checked as a whole, every problem with its line; what a spreadsheet saves is read."""

from __future__ import annotations

import pytest

from gillab.classroom.roster import RosterError, merge_rosters, read_roster, write_roster


def test_a_spreadsheet_s_csv_with_a_bom_and_other_column_order_is_read(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffEmail,ID,Name\nann@uni.example,ann,Ann Lee\n,bob,\n".encode())
    students = read_roster(path)
    assert [(s.id, s.name, s.email) for s in students] == [("ann", "Ann Lee", "ann@uni.example"), ("bob", "bob", "")]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("name,email\nAnn,a@x\n", "missing: id"),
        ("", "is empty"),
        ("id,name,email\nroot user,R,\n", "line 2: id 'root user' cannot be a Unix user name"),
        ("id,name,email\n1ann,A,\n", "id '1ann' cannot be a Unix user name"),
        ("id,name,email\nann,A,\n\nann,B,\n", "line 4: id 'ann' is already on line 2"),
        ("id,name,email\nann,A,not-an-address\n", "email 'not-an-address' of 'ann' has no @"),
        ("id,name,email\n,A,\n", "line 2: no id"),
    ],
)
def test_a_bad_roster_is_refused_with_the_line_and_the_rule(tmp_path, text, problem):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=problem.replace("(", r"\(")):
        read_roster(path)


def test_a_missing_roster_says_what_is_wanted(tmp_path):
    with pytest.raises(RosterError, match="does not exist: give a CSV file with the columns id,name,email"):
        read_roster(tmp_path / "nowhere.csv")


def test_a_written_roster_reads_back_and_merging_updates_in_place(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("id,name,email\nann,Ann,\nbob,Bob,\n")
    first = read_roster(path)
    merged = merge_rosters(first, read_roster_text(tmp_path, "id,name,email\nbob,Bob Roy,b@x\ncid,Cid,\n"))
    write_roster(path, merged)
    assert [(s.id, s.name) for s in read_roster(path)] == [("ann", "Ann"), ("bob", "Bob Roy"), ("cid", "Cid")]


def read_roster_text(folder, text):
    path = folder / "more.csv"
    path.write_text(text)
    return read_roster(path)
