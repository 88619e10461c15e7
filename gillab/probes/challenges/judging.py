"""What every chapter challenge shares: a :class:`Verdict`, the :class:`Challenge` that turns the
answers in a notebook into one, and how a check cell prints it.

A verdict has one of three statuses: :data:`PASSED`, :data:`NOT_YET` (what happened, and what to
change) or :data:`NOT_ATTEMPTED` (the answer cell is still the stub). A check cell prints it and
never raises for a wrong answer: a learner reads the verdict and goes on, and a chapter run
unattended (nbval, ``make bench``, Binder) passes its untouched stubs. An exception in the
learner's own code becomes a NOT_YET verdict that names it; a bug in the check itself is raised.

The printed form (tests and the browser test read it)::

    Check: stop the race with a lock (chapter 01)
    NOT YET - your four threads ran one after another: ...
    What to change: start every thread before you join any.

>>> def judge(namespace):
...     total = namespace["answer"]()
...     if total == 210:
...         return passed("answer() returned 210")
...     return not_yet(f"answer() returned {total!r}", "add up the four partial sums")
>>> challenge = Challenge("02", "the sum by hand", ("answer",), judge)
>>> challenge.check({"answer": lambda: 200})
Check: the sum by hand (chapter 02)
NOT YET - answer() returned 200.
What to change: add up the four partial sums.
>>> challenge.verdict({"answer": lambda: 210}).status
'passed'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .stubs import STUB_LINE, is_stub

__all__ = [
    "PASSED", "NOT_YET", "NOT_ATTEMPTED", "STATUS_WORDS", "Verdict", "Challenge", "AnswerRaised",
    "passed", "not_yet", "not_attempted", "call_answer",
]

PASSED = "passed"
NOT_YET = "not yet"
NOT_ATTEMPTED = "not attempted yet"
#: How each status begins its line in the printed verdict.
STATUS_WORDS = {PASSED: "PASSED", NOT_YET: "NOT YET", NOT_ATTEMPTED: "Not attempted yet"}


@dataclass(frozen=True)
class Verdict:
    """What a check found: ``status``, what ``happened`` (in the learner's terms), what to
    ``change`` (empty when passed), and ``facts`` worth showing beside it (measurements, notes)."""

    status: str
    happened: str
    change: str = ""
    facts: tuple[str, ...] = ()

    def __post_init__(self):
        if self.status not in STATUS_WORDS:
            raise ValueError(f"status must be one of {', '.join(STATUS_WORDS)}, got {self.status!r}")

    def text(self, title: str) -> str:
        """The verdict as a check cell prints it, under the heading ``Check: <title>``."""
        lines = [f"Check: {title}", f"{STATUS_WORDS[self.status]} - {_sentence(self.happened)}"]
        if self.change:
            lines.append(f"What to change: {_sentence(self.change)}")
        lines += [f"  {fact}" for fact in self.facts]
        return "\n".join(lines)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def passed(happened: str, *facts: str) -> Verdict:
    """A PASSED verdict saying what the learner's code did."""
    return Verdict(PASSED, happened, "", tuple(facts))


def not_yet(happened: str, change: str, *facts: str) -> Verdict:
    """A NOT YET verdict: what happened, and what to change."""
    return Verdict(NOT_YET, happened, change, tuple(facts))


def not_attempted(happened: str) -> Verdict:
    """A "not attempted yet" verdict (the answer cell is still its stub, or has not run)."""
    return Verdict(NOT_ATTEMPTED, happened)


class AnswerRaised(Exception):
    """The learner's code raised ``error`` while the check called ``call``."""

    def __init__(self, call: str, error: BaseException):
        super().__init__(f"{call} raised {type(error).__name__}: {error}")
        self.call, self.error = call, error


def call_answer(call: str, function, *args, **kwargs):
    """``function(*args, **kwargs)``, the learner's code; its exception comes out as
    :class:`AnswerRaised` (NotImplementedError, a stub, passes through), named by ``call``
    (such as ``"count_safely(counter, lock, 4, 20)"``)."""
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - the learner's exception is the finding
        raise AnswerRaised(call, error) from error


@dataclass(frozen=True)
class Challenge:
    """One challenge of a chapter: the ``answers`` (names) its answer cell defines, and ``judge``,
    which reads them from a notebook's namespace and returns a :class:`Verdict`.

    :meth:`check` is what the check cell calls: ``challenge.check(globals())``.
    """

    chapter: str
    title: str
    answers: tuple[str, ...]
    judge: Callable[[dict], Verdict]

    @property
    def heading(self) -> str:
        """``<title> (chapter NN)``: the first line of every printed verdict, after ``Check:``."""
        return f"{self.title} (chapter {self.chapter})"

    def verdict(self, namespace: dict) -> Verdict:
        """Judge the answers in ``namespace`` (a notebook's ``globals()``)."""
        if not isinstance(namespace, dict):
            raise TypeError(f"pass the notebook's namespace, check(globals()); got {type(namespace).__name__}")
        missing = [name for name in self.answers if name not in namespace]
        if missing:
            return not_attempted(
                f"{_names(missing)} {'is' if len(missing) == 1 else 'are'} not defined in this notebook yet: run the "
                "answer cell above (after the cells before it), then this one"
            )
        stubs = [name for name in self.answers if is_stub(namespace[name])]
        if len(stubs) == len(self.answers):
            return not_attempted(
                f"the answer cell above is still the stub ({_names(stubs)}). Replace {_stub_parts(namespace, stubs)} "
                "with your code, run that cell, then run this one"
            )
        if stubs:
            return not_yet(
                f"{_names(stubs)} {'is' if len(stubs) == 1 else 'are'} still the stub",
                f"write {_names(stubs)} too (replace {_stub_parts(namespace, stubs)}), "
                "run the answer cell, then this one",
            )
        try:
            return self.judge(namespace)
        except NotImplementedError:
            return not_attempted(
                f"your code still raises NotImplementedError somewhere: replace `{STUB_LINE}` with your code, "
                "run that cell, then run this one"
            )
        except AnswerRaised as raised:
            return not_yet(
                f"{raised}",
                "fix that error in your code (make the same call yourself in a new cell to see its whole "
                "traceback), then run the answer cell and this one again",
            )

    def check(self, namespace: dict) -> None:
        """Print the verdict on the answers in ``namespace``; raise nothing for a wrong answer."""
        print(self.verdict(namespace).text(self.heading))


def _stub_parts(namespace: dict, stubs) -> str:
    parts = []
    if any(namespace[name] is not Ellipsis for name in stubs):
        parts.append(f"`{STUB_LINE}`")
    if any(namespace[name] is Ellipsis for name in stubs):
        parts.append("each `...`")
    return " and ".join(parts)


def _names(names) -> str:
    names = [f"`{name}`" for name in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
