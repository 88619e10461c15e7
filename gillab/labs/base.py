"""What every lab shares: a Run button that cannot be pressed twice, a progress bar that says what
is running, a message area for errors and interrupts, and the note about this machine's CPUs.

A lab subclass builds its own controls and results, then implements :meth:`Lab.measure`. The Run
button calls it through :meth:`Lab.run_once`, which:

- disables the button and shows progress while it runs (and enables the button again after);
- catches every exception and shows it in the lab as a clear message: ipywidgets' ``Button.click``
  would otherwise only log it where a learner never looks;
- catches ``KeyboardInterrupt`` (the kernel's interrupt button), lets the lab stop what it started
  (:meth:`Lab.stop_after_interrupt`), and says the run was interrupted; results so far are kept.

Runs are synchronous: the kernel is busy while a lab measures, exactly as when a cell runs, so the
interrupt button stops it and no measurement competes with a background task.
"""

from __future__ import annotations

import html
import os
import traceback

import ipywidgets as widgets

from ..machine.cpus import effective_cpu_count, one_cpu_note

__all__ = ["Lab", "SettingsError", "cpu_note_html", "error_html"]


class SettingsError(ValueError):
    """The lab's settings cannot run (no mode ticked, a size too big): said plainly, no traceback."""


def cpu_note_html(effective_cpus: int, extra: str = "") -> str:
    """The lab's first line: how many CPUs this Python can use, and on one CPU why speedup cannot
    show (:func:`gillab.machine.cpus.one_cpu_note`), plus ``extra`` for that lab."""
    logical = os.cpu_count() or 1
    line = f"This Python can use <b>{effective_cpus}</b> CPU{'s' if effective_cpus != 1 else ''}"
    if logical != effective_cpus:
        line += f" (os.cpu_count() says {logical})"
    note = one_cpu_note(effective_cpus)
    line += "."
    if note:
        line += f" <b>{html.escape(note)}</b>"
    if extra:
        line += " " + extra
    return line


def error_html(error: BaseException) -> str:
    """A red message naming the error, then its traceback folded away for the curious."""
    name = type(error).__name__
    details = html.escape("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return (
        f'<div style="color:#b00020"><b>The run failed: {html.escape(name)}: {html.escape(str(error))}</b>'
        f"<details><summary>Traceback</summary><pre>{details}</pre></details></div>"
    )


class Lab:
    """The frame of a lab. Subclasses set :attr:`name` and :attr:`title`, pass their control and
    result widgets to :meth:`build`, and implement :meth:`measure` (and :meth:`stop_after_interrupt`).

    Attributes for notebooks and tests: ``run`` (the Button), ``progress`` (IntProgress),
    ``status`` and ``message`` (HTML), ``note`` (the CPU line), ``errors`` (every exception a run
    raised), ``interrupted`` (how many runs were interrupted), ``effective_cpus``, ``widget``.
    """

    #: Used in CSS classes: ``gillab-<name>-lab`` on the lab's outer box.
    name = "lab"
    title = "Lab"

    def __init__(self, effective_cpus: int | None = None, note_extra: str = ""):
        self.effective_cpus = effective_cpu_count() if effective_cpus is None else int(effective_cpus)
        if self.effective_cpus < 1:
            raise ValueError(f"effective_cpus must be a positive int, got {effective_cpus!r}")
        self.errors: list[BaseException] = []
        self.interrupted = 0
        self.running = False
        self.note = widgets.HTML(cpu_note_html(self.effective_cpus, note_extra)).add_class("gillab-note")
        self.run = widgets.Button(description="Run", button_style="primary", icon="play").add_class("gillab-run")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="12em"))
        self.progress.add_class("gillab-progress")
        self.status = widgets.HTML("Ready: choose the settings, then press Run.").add_class("gillab-status")
        self.message = widgets.HTML("").add_class("gillab-message")
        self.run.on_click(lambda _button: self.run_once())

    def build(self, controls: list, results: list) -> None:
        """Assemble the lab's box: title, CPU note, ``controls``, the run row, messages, ``results``."""
        title = widgets.HTML(f"<h3 style='margin:0.2em 0'>{html.escape(self.title)}</h3>")
        run_row = widgets.HBox([self.run, self.progress, self.status], layout=widgets.Layout(align_items="center"))
        self.widget = widgets.VBox([title, self.note, *controls, run_row, self.message, *results])
        self.widget.add_class("gillab-lab").add_class(f"gillab-{self.name}-lab")

    def _repr_mimebundle_(self, **kwargs):
        # a lab shows as its widgets when it is the last expression of a cell
        return self.widget._repr_mimebundle_(**kwargs)

    # --- running ----------------------------------------------------------------------------
    def run_once(self) -> None:
        """What the Run button does: :meth:`measure` with the button disabled, errors shown."""
        if self.running:
            return
        self.running = True
        self.run.disabled = True
        self.run.description = "Running..."
        self.message.value = ""
        try:
            self.measure()
        except KeyboardInterrupt:
            self.interrupted += 1
            try:
                stopped = self.stop_after_interrupt()
            except BaseException as error:  # noqa: BLE001 - a second interrupt, or a failure while stopping
                stopped = f"stopping what it had started failed ({type(error).__name__}: {error}); restart the kernel"
            self.message.value = (
                '<div style="color:#8a4b00"><b>Interrupted.</b> The run stopped'
                f"{'; ' + html.escape(stopped) if stopped else ''}. Results of earlier runs are kept.</div>"
            )
            self.status.value = "Interrupted."
        except SettingsError as error:
            self.errors.append(error)
            self.message.value = f'<div style="color:#8a4b00"><b>{html.escape(str(error))}</b></div>'
            self.status.value = "Not run: see the message below."
        except Exception as error:  # noqa: BLE001 - shown to the learner, who can act on it
            self.errors.append(error)
            self.message.value = error_html(error)
            self.status.value = "Failed (see the message below)."
        finally:
            self.running = False
            self.run.disabled = False
            self.run.description = "Run"

    def show_progress(self, done: int, total: int, what: str) -> None:
        """Move the progress bar to ``done`` of ``total`` and say ``what`` is running."""
        self.progress.max = max(1, total)
        self.progress.value = min(done, self.progress.max)
        self.status.value = html.escape(what)

    def say(self, what: str) -> None:
        """Say what the lab is doing now, leaving the progress bar where it is."""
        self.status.value = html.escape(what)

    def measure(self) -> None:
        """Run the experiment with the current settings and record and draw its results."""
        raise NotImplementedError

    def stop_after_interrupt(self) -> str:
        """Stop anything the interrupted run left running; return what was done, for the message."""
        return ""
