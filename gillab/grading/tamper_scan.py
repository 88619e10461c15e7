"""Before a submission runs: does its code reach for the grader's instruments?

The student's cells run in the kernel before the test cells, so they could change what the tests
use. The witness (:mod:`gillab.grading.witness`) makes the parallelism verdicts safe from that; this
scan makes the attempt VISIBLE. It reads the syntax tree of every code cell that will run as the
student wrote it (solution cells and cells the student added: locked cells are restored from the
source before grading, so their edits never run) and reports each place, with cell and line, that:

- imports or names the grader's instruments (``gillab.probes``, ``gillab.grading``, the probes'
  classes and functions), or the witness's folder and files;
- writes to ``sys.modules``, ``builtins``/``__builtins__``, ``os.environ``, or uses ``__import__``,
  ``importlib``, ``eval``/``exec``/``compile`` (names built at run time cannot be checked);
- sets or deletes attributes of the course's modules and functions (``setattr``, ``X.attr = ...``),
  rebinds a course function at the top level or with ``global``, or shadows a builtin the tests use;
- reaches into objects' internals (``__dict__``, ``__code__``, ``__globals__``, frames, ``gc``,
  ``ctypes``, ``inspect``).

A finding makes the submission ``needs review``: its parallelism points are withheld until the
instructor looks (``gillab grade review``). Honest answers to the course's problem sets do none of
this; a determined student can still hide intent from any static scan, which is why the verdicts
themselves come from the witness.

>>> from nbformat.v4 import new_code_cell, new_notebook
>>> notebook = new_notebook(cells=[new_code_cell("import sys\\nsys.modules['gillab.probes.chunk_probe'] = None")])
>>> [str(finding) for finding in scan_notebook(notebook)]
["cell 1, line 2: writes to sys.modules (the tests' instruments are found there)"]
>>> scan_notebook(new_notebook(cells=[new_code_cell("from concurrent.futures import ThreadPoolExecutor")]))
[]
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

__all__ = ["Finding", "scan_notebook", "scan_source", "INSTRUMENTS", "REVIEW_MESSAGE"]

#: What the student and the instructor read when a submission is held for review.
REVIEW_MESSAGE = "your notebook changes the grader's instruments; your instructor will look at it"
#: The probes' and the grader's names a student's code has no reason to touch.
INSTRUMENTS = {
    "ChunkProbe", "ChunkRun", "probe_chunks", "Call", "chunk_verdict", "Tripwire", "forbid_calls",
    "GatedChatServer", "check_in_flight", "finishes_within", "call_dashboard", "check_dashboard",
    "GradingFailure", "check_equal", "check_raises", "split_range_problems", "replaced", "witness_folder",
    "chunk_probe", "chat_requests", "tripwire", "verdicts", "chunk_rules", "evidence", "probes", "grading",
}
_FORBIDDEN_MODULES = {"importlib", "gc", "ctypes", "inspect", "builtins"}
_INSTRUMENT_MODULES = ("gillab.probes", "gillab.grading")
_INTERNALS = {
    "__dict__", "__globals__", "__code__", "__closure__", "__defaults__", "__kwdefaults__", "__builtins__",
    "__subclasses__", "__wrapped__", "f_globals", "f_locals", "f_back", "f_builtins", "gi_frame", "tb_frame",
    "_getframe",
}
_STRINGS = ("GILLAB_WITNESS", "gillab-probe", "arrive-", "gave-up", "/grading/")
#: The probes' files, as a whole string: "met" alone, a "call-..." or "ack-..." name
_FILE_NAMES = ("met", "gathered", "released")
_FILE_PREFIXES = ("call-", "ack-", "chunks-", "requests-")
#: What only a probe standing in for a course function has (``count_sum.folder`` while a test runs)
_PROBE_ATTRIBUTES = {
    "folder", "witnessed", "caller_pid", "caller_thread", "wait_s", "workers", "kind", "calls", "met",
    "max_in_flight", "requests", "gate_met", "clear_log",
}
_RUN_TIME_CODE = {"__import__", "eval", "exec", "compile", "globals", "vars"}
_ENVIRON_WRITERS = {"pop", "popitem", "clear", "update", "setdefault", "__setitem__", "__delitem__"}
_BUILTIN_NAMES = set(dir(builtins)) - {"_", "__doc__", "__name__", "__spec__", "__loader__", "__package__"}


@dataclass(frozen=True)
class Finding:
    """One place in a submission that reaches for the grader's instruments."""

    cell: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.cell}, line {self.line}: {self.what}"


def _root_name(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class _Scanner(ast.NodeVisitor):
    def __init__(self, course_names: set[str], modules: set[str]):
        self.course_names = course_names  # names bound to the course's (gillab) objects
        self.modules = set(modules)  # names bound to modules
        self.found: list[tuple[int, str]] = []
        self.depth = 0  # 0: top level of the cell, where a binding lands in the notebook's globals

    def _add(self, node, what: str) -> None:
        self.found.append((getattr(node, "lineno", 1), what))

    # --- imports ---------------------------------------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            self._imported(node, alias.name, alias.asname or alias.name.split(".")[0])
            self.modules.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for alias in node.names:
            full = f"{module}.{alias.name}"
            self._imported(node, full if module else alias.name, alias.asname or alias.name)
            if module.startswith("gillab"):
                self.course_names.add(alias.asname or alias.name)
            if alias.name in INSTRUMENTS and module.startswith("gillab"):
                self._add(node, f"imports the grader's instrument {alias.name}")

    def _imported(self, node, name: str, bound: str) -> None:
        if name.startswith(_INSTRUMENT_MODULES) or name in ("gillab.probes", "gillab.grading"):
            self._add(node, f"imports {name}, one of the grader's instruments")
        elif name.split(".")[0] in _FORBIDDEN_MODULES:
            self._add(node, f"imports {name.split('.')[0]} (it reaches into the interpreter's internals)")
        if self.depth == 0 and bound in self.course_names | _BUILTIN_NAMES and not name.startswith("gillab"):
            self._add(node, f"rebinds {bound} at the top level, which the tests use")

    # --- names and attributes --------------------------------------------------------------
    def visit_Name(self, node):
        if node.id in INSTRUMENTS and node.id not in {"evidence", "grading", "probes", "verdicts", "Call"}:
            self._add(node, f"uses {node.id}, one of the grader's instruments")
        elif node.id in _RUN_TIME_CODE or node.id == "__builtins__":
            self._add(node, f"uses {node.id} (code or names built at run time cannot be checked)")

    def visit_Attribute(self, node):
        dotted = _dotted(node)
        if dotted.startswith(("gillab.probes", "gillab.grading")):
            self._add(node, f"uses {dotted}, one of the grader's instruments")
        elif dotted in ("sys.modules", "sys._getframe") or dotted.startswith("sys.modules."):
            self._add(node, "writes to sys.modules (the tests' instruments are found there)"
                      if dotted.startswith("sys.modules") else f"uses {dotted}")
        elif node.attr in _INTERNALS:
            self._add(node, f"reaches into {node.attr} (an object's internals)")
        elif node.attr in INSTRUMENTS and _root_name(node) in self.modules | self.course_names | {"gillab"}:
            self._add(node, f"uses {node.attr}, one of the grader's instruments")
        elif node.attr in _PROBE_ATTRIBUTES and _root_name(node) in self.course_names:
            self._add(node, f"reads {_dotted(node)}, which only the grader's probe standing in for it has")
        elif dotted in ("os.putenv", "os.unsetenv") or (
            dotted.startswith("os.environ.") and node.attr in _ENVIRON_WRITERS
        ):
            # reading the environment is harmless; writing it could hide the grader's folder
            self._add(node, f"changes the environment ({dotted})")
        self.generic_visit(node)

    def visit_Constant(self, node):
        value = node.value
        name = value.rsplit("/", 1)[-1] if isinstance(value, str) else ""
        if isinstance(value, str) and (
            any(marker in value for marker in _STRINGS) or name in _FILE_NAMES or name.startswith(_FILE_PREFIXES)
        ):
            self._add(node, f"names the grader's evidence files ({value[:40]!r})")

    # --- writes ----------------------------------------------------------------------------
    def _target(self, target, node) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element, node)
            return
        root = _root_name(target)
        if isinstance(target, ast.Name):
            if self.depth == 0 and target.id in self.course_names:
                self._add(node, f"rebinds {target.id}, a course function the tests use")
            elif self.depth == 0 and target.id in _BUILTIN_NAMES:
                self._add(node, f"shadows the builtin {target.id}, which the tests use")
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            dotted = _dotted(target.value) if isinstance(target, ast.Subscript) else _dotted(target)
            if dotted.startswith("sys.modules"):
                return  # reported where the attribute is read, with its own words
            if dotted.startswith("os.environ"):
                self._add(node, "changes the environment (os.environ)")
            elif root in self.course_names or root in self.modules or root == "gillab":
                self._add(node, f"changes {_dotted(target) or root}, part of a module or a course function")

    def visit_Assign(self, node):
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            if name in self.course_names or name in _BUILTIN_NAMES:
                self._add(node, f"rebinds {name} from inside a function (global {name})")

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in ("setattr", "delattr") and node.args:
            root = _root_name(node.args[0])
            if root in self.course_names or root in self.modules or root == "gillab":
                self._add(node, f"{name} on {_dotted(node.args[0]) or root}, part of a module or a course function")
        self.generic_visit(node)

    # --- scopes ----------------------------------------------------------------------------
    def _scope(self, node, bound: str | None):
        if bound is not None and self.depth == 0:
            if bound in self.course_names:
                self._add(node, f"rebinds {bound}, a course function the tests use")
            elif bound in _BUILTIN_NAMES:
                self._add(node, f"shadows the builtin {bound}, which the tests use")
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        self.depth += 1
        for child in ast.iter_child_nodes(node):
            if child not in getattr(node, "decorator_list", []):
                self.visit(child)
        self.depth -= 1

    def visit_FunctionDef(self, node):
        self._scope(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._scope(node, node.name)

    def visit_Lambda(self, node):
        self._scope(node, None)


def _python(source: str) -> str:
    """The cell as plain Python: IPython's magics and shell escapes become ordinary calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # grading without IPython: only plain Python is read
        return source
    return TransformerManager().transform_cell(source)


def scan_source(source: str, cell: str, course_names: set[str], modules: set[str]) -> list[Finding]:
    """The findings in one cell's ``source``; ``course_names`` and ``modules`` (updated in place)
    carry what earlier cells bound, since every cell runs in the same notebook namespace."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []  # it cannot run either: the test cells see nothing from it
    scanner = _Scanner(course_names, modules)
    scanner.visit(tree)
    modules |= scanner.modules
    first_per_line = {}
    for line, what in scanner.found:
        first_per_line.setdefault(line, what)  # one finding per line is enough to look there
    return [Finding(cell, line, what) for line, what in sorted(first_per_line.items())]


def _label(cell, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f'cell "{grade_id}"' if grade_id else f"cell {index + 1}"


def scan_notebook(submitted, released=None) -> list[Finding]:
    """Every finding in the code that will run as the student wrote it: all code cells except the
    ``released`` notebook's locked cells, which grading restores from the source."""
    locked = set()
    for cell in (released.cells if released is not None else []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") and meta.get("grade_id"):
            locked.add(meta["grade_id"])
    course_names: set[str] = set()
    modules: set[str] = set()
    findings = []
    for index, cell in enumerate(submitted.cells):
        if cell.get("cell_type") != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in locked:
            # what the course's own cells bind (count_sum, ChatServer...) is what a student must not rebind
            scan_source(cell.source, _label(cell, index), course_names, modules)
            continue
        findings += scan_source(cell.source, _label(cell, index), course_names, modules)
    return findings
