"""Results tables as HTML, newest run first, for a lab's ``ipywidgets.HTML``.

Every cell carries its column's key as a CSS class (``gillab-col-workers``), so a browser test can
read one column without depending on the table's layout.

>>> print(html_table([("workers", "Workers")], [{"workers": 3}]))
<style>...</style><table class="gillab-results"><thead><tr><th class="gillab-col-workers">Workers</th></tr></thead><tbody><tr><td class="gillab-col-workers">3</td></tr></tbody></table>
"""

from __future__ import annotations

import html

__all__ = ["html_table", "seconds_cell", "ratio_cell", "MAX_ROWS_SHOWN"]

#: The table shows the latest rows only; every row stays in the lab's ``results``.
MAX_ROWS_SHOWN = 40
_STYLE = (
    "<style>.gillab-results{border-collapse:collapse;font-size:90%;margin-top:0.4em}"
    ".gillab-results th,.gillab-results td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}"
    ".gillab-results tbody tr:first-child{background:#eef6ff}</style>"
)


def html_table(columns, rows, empty: str = "No runs yet: press Run.") -> str:
    """``columns`` are (key, heading) pairs; ``rows`` dicts of already formatted values by key."""
    columns = list(columns)
    if not rows:
        return f'<p class="gillab-results-empty">{html.escape(empty)}</p>'
    head = "".join(f'<th class="gillab-col-{key}">{html.escape(title)}</th>' for key, title in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="gillab-col-{key}">{html.escape(str(row.get(key, "")))}</td>' for key, _ in columns) + "</tr>"
        for row in list(rows)[:MAX_ROWS_SHOWN]
    )
    return f'{_STYLE}<table class="gillab-results"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def seconds_cell(summary: dict) -> str:
    """``0.412 s (0.398-0.431)`` from a :meth:`gillab.measure.Timing.summary` dict."""
    if summary["repeats"] == 1:
        return f"{summary['median']:.3f} s"
    return f"{summary['median']:.3f} s ({summary['min']:.3f}-{summary['max']:.3f})"


def ratio_cell(summary: dict) -> str:
    """``1.73x (1.61-1.80)`` from a summary dict of speedups."""
    if summary["repeats"] == 1:
        return f"{summary['median']:.2f}x"
    return f"{summary['median']:.2f}x ({summary['min']:.2f}-{summary['max']:.2f})"
