"""The package's layout, as a newcomer finds things: one folder per role, each folder's ``__init__``
a map that names every module in it, the README's layout table naming them too, no two modules
sharing a name, and the roles that make numbers never importing the roles that use them.

Read from the files on disk, so a module added without a line in the maps makes this fail."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
from support.paths import REPO

PACKAGE = REPO / "gillab"
FOLDERS = sorted(path.parent for path in PACKAGE.rglob("__init__.py"))
#: Roles that make numbers and facts; they must not depend on the roles that present or grade them.
BASE_ROLES = ("measure", "machine", "experiments", "chat")
USER_ROLES = ("labs", "grading", "bench", "cli", "classroom")


def modules_in(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.py") if path.stem not in ("__init__", "__main__"))


def subfolders_in(folder: Path) -> list[str]:
    return sorted(path.parent.name for path in folder.glob("*/__init__.py"))


def docstring_of(folder: Path) -> str:
    return ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""


def readme_layout() -> str:
    """The README's "Where things are" table: from its first ``gillab/`` row to the end of the table."""
    lines = (REPO / "README.md").read_text().splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("| `gillab/measure/`"))
    end = next(index for index in range(start, len(lines)) if not lines[index].startswith("|"))
    return "\n".join(lines[start:end])


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: str(folder.relative_to(REPO)))
def test_each_folder_s_map_names_every_module_and_subfolder_in_it(folder):
    text = docstring_of(folder)
    missing = [name for name in modules_in(folder) + subfolders_in(folder) if not re.search(rf"\b{name}\b", text)]
    assert not missing, f"{folder.relative_to(REPO)}/__init__.py does not name {missing}"


def test_the_readme_layout_names_every_module_of_every_folder():
    table = readme_layout()
    missing = [
        f"{folder.relative_to(REPO)}/{name}"
        for folder in FOLDERS
        for name in modules_in(folder) + subfolders_in(folder)
        if not {f"`{name}`", f"`{name}/`", f"`{folder.relative_to(REPO)}/{name}/`"} & set(re.findall(r"`[^`]+`", table))
    ]
    assert not missing, f"the README's layout table does not name {missing}"


def test_no_two_modules_share_a_name():
    names = Counter(path.stem for path in PACKAGE.rglob("*.py") if path.stem not in ("__init__", "__main__"))
    assert [name for name, count in names.items() if count > 1] == []


@pytest.mark.parametrize("role", BASE_ROLES)
def test_the_roles_that_make_numbers_do_not_import_the_roles_that_use_them(role):
    offending = []
    for path in (PACKAGE / role).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                target = name.lstrip(".").removeprefix("gillab.").split(".")[0]
                from_parent = name.startswith("..") or name.startswith("gillab.")
                if from_parent and target in USER_ROLES:
                    offending.append(f"{path.relative_to(REPO)}:{node.lineno} imports {name}")
    assert not offending


#: The files a reader follows from prose: a path named there must still be there after a move.
NAMED_FILE = re.compile(
    r"\b(?:tests|gillab|scripts|grader|course|solutions|docs)/[\w./-]+\.(?:py|ipynb|json|md|png|sh)\b"
)
#: Where such names appear: the README, the docs, the scripts and the package. The tests too, for
#: the test files they point to (their course/ names are notebooks they write into a scratch folder).
NAMING_FILES = [REPO / "README.md", REPO / "Makefile", *sorted((REPO / "docs").rglob("*.md")),
                *sorted((REPO / "scripts").glob("*")), *sorted(PACKAGE.rglob("*.py"))]
TEST_FILES = sorted((REPO / "tests").glob("*.py"))


def _named_files(path: Path) -> set[str]:
    names = set(NAMED_FILE.findall(path.read_text(errors="replace")))
    return {name for name in names if name.startswith("tests/")} if path in TEST_FILES else names


def test_every_file_the_readme_docs_and_code_name_exists():
    missing = sorted({
        f"{path.relative_to(REPO)} names {name}"
        for path in NAMING_FILES + TEST_FILES if path.is_file()
        for name in _named_files(path)
        if not (REPO / name).exists()
    })
    assert not missing, "files named in prose that are not there (moved or renamed?):\n" + "\n".join(missing)
