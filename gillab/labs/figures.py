"""Matplotlib figures for the labs, turned into PNG bytes for an ``ipywidgets.Image``.

The labs draw on :class:`matplotlib.figure.Figure` objects of their own, never through pyplot, so
nothing is shown twice by the notebook's inline backend and the figures of a lab that is gone are
freed. Showing PNG bytes in an Image widget works the same in JupyterLab, Notebook 7 and in a
kernel without a browser, where tests read the figure itself.

>>> figure, axes = new_figure(1, width=3, height=2)
>>> png(figure)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["new_figure", "png", "placeholder_png", "DPI"]

#: Resolution of the lab charts: sharp enough to read, small enough to send often.
DPI = 90


def new_figure(n_axes: int, width: float = 11.0, height: float = 3.4):
    """A figure with ``n_axes`` side by side; returns ``(figure, [axes...])``."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = figure.subplots(1, n_axes, squeeze=False)[0]
    return figure, list(axes)


def png(figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def placeholder_png(text: str, width: float = 11.0, height: float = 1.0) -> bytes:
    """A light image that says where the chart will appear."""
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.text(0.5, 0.5, text, ha="center", va="center", color="gray")
    return png(figure)
