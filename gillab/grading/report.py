"""``gillab grade report``: the class's results for one assignment, as a PNG and an HTML page.

The chart has two panels: a histogram of the scores (after late penalties) and, for each
autograded test cell, the share of submissions that passed it. The page adds the counts per
status and a table of every submission that did not end ``graded``, with its reason, so an
instructor sees at once who needs a look. Written to ``grader/reports/<assignment>/``.
"""

from __future__ import annotations

import html
from pathlib import Path

from .export import export_rows

__all__ = ["collect_results", "draw_chart", "write_report"]


def collect_results(course, assignment: str) -> dict:
    """Scores, statuses and per-test pass rates of ``assignment`` (from gradebook and outcomes)."""
    from nbgrader.api import MissingEntry

    with course.gradebook() as gradebook:
        rows = [
            row
            for row in export_rows(course, gradebook, [assignment])
            if row["status"] not in ("not submitted", "not graded yet")
        ]
        found = gradebook.find_assignment(assignment)
        tests = []
        for notebook in sorted(found.notebooks, key=lambda n: n.name):
            for cell in notebook.grade_cells:
                if cell.cell_type == "code":
                    tests.append((notebook.name, cell.name, cell.max_score))
        pass_rates = []
        for notebook, name, points in tests:
            passed = total = 0
            for row in rows:
                try:
                    grade = gradebook.find_grade(name, notebook, assignment, row["student_id"])
                except MissingEntry:
                    continue
                total += 1
                passed += grade.auto_score is not None and grade.auto_score >= points
            pass_rates.append(
                {"notebook": notebook, "test": name, "points": points, "passed": passed, "submissions": total}
            )
        max_score = found.max_score
    statuses = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {
        "assignment": assignment,
        "max_score": max_score,
        "scores": [float(row["score"]) for row in rows if row["score"] != ""],
        "statuses": statuses,
        "pass_rates": pass_rates,
        "problems": [row for row in rows if row["status"] != "graded"],
        "rows": rows,
    }


def draw_chart(results: dict, path: Path) -> Path:
    """Draw the histogram and the pass-rate bars into ``path`` (PNG)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rates = results["pass_rates"]
    figure = Figure(figsize=(10, max(3.5, 0.45 * len(rates) + 1.5)), layout="constrained")
    scores_axes, rates_axes = figure.subplots(1, 2)
    maximum = results["max_score"] or 1
    bins = int(maximum) if float(maximum).is_integer() and maximum <= 20 else 10
    scores_axes.hist(results["scores"], bins=bins, range=(0, maximum), color="#4c72b0", edgecolor="white")
    scores_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    scores_axes.set_xlabel(f"score (of {maximum:g}, after late penalties)")
    scores_axes.set_ylabel("submissions")
    scores_axes.set_title(f"{results['assignment']}: {len(results['scores'])} submissions")
    names = [rate["test"] for rate in rates]
    shares = [100 * rate["passed"] / rate["submissions"] if rate["submissions"] else 0 for rate in rates]
    rates_axes.barh(names[::-1], shares[::-1], color="#55a868")
    rates_axes.set_xlim(0, 100)
    rates_axes.set_xlabel("passed (% of submissions)")
    rates_axes.set_title("per-test pass rate")
    for position, share in enumerate(shares[::-1]):
        rates_axes.text(min(share + 1, 88), position, f"{share:.0f}%", va="center")
    figure.savefig(path, dpi=100)
    return path


def _table(headers, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(course, assignment: str, out_dir: str | Path | None = None) -> dict:
    """Write ``report.png`` and ``report.html``; returns their paths."""
    results = collect_results(course, assignment)
    if not results["rows"]:
        raise LookupError(f"nothing graded for {assignment} yet: run gillab grade autograde {assignment} first")
    folder = Path(out_dir) if out_dir else course.reports_dir / assignment
    folder.mkdir(parents=True, exist_ok=True)
    png = draw_chart(results, folder / "report.png")
    scores = sorted(results["scores"])
    median = scores[len(scores) // 2] if scores else 0
    status_rows = sorted(results["statuses"].items(), key=lambda item: -item[1])
    rate_rows = [
        (
            r["test"],
            f"{r['points']:g}",
            f"{r['passed']}/{r['submissions']}",
            f"{100 * r['passed'] / r['submissions']:.0f}%" if r["submissions"] else "-",
        )
        for r in results["pass_rates"]
    ]
    problem_rows = [(r["student_id"], r["status"], r["reason"], r["score"], r["notes"]) for r in results["problems"]]
    problems = "<p>None: every submission ran.</p>"
    if problem_rows:
        problems = _table(["student", "status", "reason", "score", "notes"], problem_rows)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(assignment)}: grading report</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }}</style></head>
<body>
<h1>{html.escape(assignment)}</h1>
<p>{len(results["rows"])} submissions; median score {median:g} of {results["max_score"]:g}.</p>
<img src="{png.name}" alt="score histogram and per-test pass rates" style="max-width: 100%">
<h2>Outcomes</h2>
{_table(["status", "submissions"], status_rows)}
<h2>Tests</h2>
{_table(["test", "points", "passed", "pass rate"], rate_rows)}
<h2>Submissions that need a look</h2>
{problems}
</body></html>
"""
    page_path = folder / "report.html"
    page_path.write_text(page)
    return {"html": page_path, "png": png}
