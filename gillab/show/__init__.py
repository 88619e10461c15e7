"""Drawing and writing measurements: nothing here measures.

- :mod:`~gillab.show.charts`: the palette, timelines, speedup charts, the one reference panel, the chapters' charts.
- :mod:`~gillab.show.text`: the one "median (min-max)" formatter and the chapters' text tables.
- :mod:`~gillab.show.claims`: the video's claims, each beside what the learner measured, with a verdict.
- :mod:`~gillab.show.references`: reference results recorded on real machines (the files in ``gillab/references/``).
"""
