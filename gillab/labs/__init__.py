"""The course's interactive labs: sliders and a Run button that start real threads and processes.

Each lab is one call, the last line of a notebook cell, which shows it::

    from gillab.labs import speedup_lab
    speedup_lab()

Keep a handle to read its results afterwards (``lab = speedup_lab()``, then ``lab`` on the next
line to show it; ``lab.results`` holds every run). The labs:

- :func:`speedup_lab`: workers, problem size and modes; time, speedup, Amdahl fit and a timeline.
- :func:`switch_interval_lab`: how late a waiting thread wakes while a busy thread holds the GIL,
  at the switch interval you choose (``sys.setswitchinterval``; yours is restored afterwards).
- :func:`io_lab`: many requests to the course's local HTTP API, one after another or on threads,
  and how long a UI loop froze.

One module per lab (:mod:`~gillab.labs.speedup_widgets`, :mod:`~gillab.labs.switch_interval_widgets`,
:mod:`~gillab.labs.io_widgets`) and what they share: :mod:`~gillab.labs.base` (Run button, progress,
interrupts), :mod:`~gillab.labs.sizes` (the size slider's stops), :mod:`~gillab.labs.tables` (results
tables), :mod:`~gillab.labs.figures` (figures as PNG) and :mod:`~gillab.labs.speedup_charts` (the
speedup lab's charts).
"""

from .io_widgets import IoLab, io_lab
from .speedup_widgets import SpeedupLab, speedup_lab
from .switch_interval_widgets import SwitchIntervalLab, switch_interval_lab

__all__ = ["speedup_lab", "switch_interval_lab", "io_lab", "SpeedupLab", "SwitchIntervalLab", "IoLab"]
