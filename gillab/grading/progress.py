"""The autograder's progress bar: submissions done, running and failed.

On a terminal it redraws one line; elsewhere (a log, CI) it prints one line per finished
submission, so nothing is lost in a file.

>>> import io
>>> stream = io.StringIO()
>>> bar = ProgressBar(total=4, stream=stream, width=8, interactive=False)
>>> bar.started("ann")
>>> bar.finished("ann", "graded: 5/5", failed=False)
>>> print(stream.getvalue().strip())
[##......] 1/4 done, 0 running, 0 failed | ann: graded: 5/5
"""

from __future__ import annotations

import sys
import time

__all__ = ["ProgressBar"]


class ProgressBar:
    """Counts submissions through grading and draws ``[###...] done/total, running, failed``."""

    def __init__(self, total: int, stream=None, width: int = 30, interactive: bool | None = None):
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.done = self.running = self.failed = 0
        self.begun = time.monotonic()

    def line(self) -> str:
        """The bar and its counts, as text."""
        filled = self.width * self.done // self.total if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        return f"[{bar}] {self.done}/{self.total} done, {self.running} running, {self.failed} failed"

    def _draw(self, message: str = "") -> None:
        if self.interactive:
            elapsed = time.monotonic() - self.begun
            text = f"{self.line()} {elapsed:5.0f} s"
            if message:
                self.stream.write("\r\033[K" + message + "\n")
            self.stream.write("\r\033[K" + text)
        elif message:
            self.stream.write(f"{self.line()} | {message}\n")
        self.stream.flush()

    def started(self, student: str) -> None:
        """A submission went to a worker."""
        self.running += 1
        self._draw()

    def finished(self, student: str, summary: str, failed: bool) -> None:
        """A submission's outcome was recorded (``failed``: any status but graded)."""
        self.running = max(0, self.running - 1)
        self.done += 1
        self.failed += bool(failed)
        self._draw(f"{student}: {summary}")

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
