"""The README's generated blocks: text between two HTML comment markers that a script writes from
files (reference results, the chapters, the screenshots' record), never typed by hand.

One helper for every script that owns a block (``bench_readme.py``, ``binder_links.py``,
``screenshots_readme.py``): :func:`replace_block` puts a new block between its markers, and
:func:`main` gives each script the same ``--write`` / ``--check`` command line.

>>> replace_block("a <!-- x --> old <!-- /x --> b", "<!-- x -->", "<!-- /x -->", "<!-- x --> new <!-- /x -->")
'a <!-- x --> new <!-- /x --> b'
"""

from __future__ import annotations

import argparse
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replace_block(text: str, begin: str, end: str, block: str) -> str:
    """``text`` with the part from ``begin`` to ``end`` replaced by ``block`` (which carries both
    markers); a ValueError naming the markers when ``text`` lacks them."""
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"the README has no block between {begin!r} and {end!r}: add those two lines where it belongs")
    return text[:start] + block + text[stop + len(end) :]


def main(description: str, blocks, fix_command: str, argv=None, readme: Path = README) -> int:
    """``--write`` rewrites each of ``blocks`` (``(begin, end, make_block)`` triples) in the README;
    ``--check`` exits 1, naming ``fix_command``, when any of them is not what ``make_block()`` gives."""
    parser = argparse.ArgumentParser(description=description)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite the README's block(s)")
    action.add_argument("--check", action="store_true", help="exit 1 when a block is out of date")
    args = parser.parse_args(argv)
    text = readme.read_text()
    wanted = text
    for begin, end, make_block in blocks:
        wanted = replace_block(wanted, begin, end, make_block())
    if args.check:
        if wanted != text:
            print(f"{readme.name}: a generated block is out of date; run {fix_command}")
            return 1
        return 0
    readme.write_text(wanted)
    print(f"{readme.name}: rewritten ({len(blocks)} block(s))")
    return 0
