"""Results tables as HTML, newest run first, for a lab's ``ipywidgets.HTML``.

Every cell carries its column's key as a CSS class (``gillab-col-workers``), so a browser test can
read one column without depending on the table's layout.

>>> table = html_table([("workers", "Workers")], [{"workers": 3}])
>>> table.startswith("<style>") and '<td class="gillab-col-workers">3</td>' in table
True
"""

from __future__ import annotations

import html

__all__ = ["html_table", "MAX_ROWS_SHOWN"]

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
        "<tr>"
        + "".join(f'<td class="gillab-col-{key}">{html.escape(str(row.get(key, "")))}</td>' for key, _ in columns)
        + "</tr>"
        for row in list(rows)[:MAX_ROWS_SHOWN]
    )
    return f'{_STYLE}<table class="gillab-results"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
