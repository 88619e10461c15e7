"""Put a section's cells into a chapter: new cells after a given cell, changed cells in place.

    python scripts/insert_section.py CHAPTER SECTION --after CELL_ID [--check]

SECTION is a JSON list of cells, in chapter order, each ``{"cell_type", "id", "source"}`` with
optional ``"metadata"`` (a challenge's answer cell: ``{"tags": ["challenge-answer"]}``) and, for a
cell that REPLACES one the chapter already has, ``"was_sha256"``: the SHA-256 of the chapter cell's
source it was written against. A section lives beside its chapter (course/sections/) while another
branch edits the same chapter; after merging, running this again puts it back.

- A cell whose id the chapter lacks is inserted after the previous cell of the section (the first
  one after ``--after``).
- A cell of the section's own (no ``was_sha256``) that the chapter has is replaced by the section's
  version: the section is where it is edited.
- A chapter cell the section replaces (``was_sha256``) is replaced if the chapter's source is still
  the one the section was written against, and left alone if it already equals the section's.
  Anything else is a conflict: the script changes nothing and names the cell, to be merged by hand.

So running it twice changes nothing the second time. ``--check`` changes nothing and exits 1 when
the chapter differs from the section. Cells are written without outputs or execution counts, and
the chapter is written back as Jupyter writes it (JSON indented by one space), with every cell the
section does not name left byte for byte as it was, so that the edit merges like a hand edit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _new_cell(entry: dict) -> dict:
    """A cell as Jupyter writes one (code cells without outputs or execution count)."""
    if entry.get("cell_type") not in ("markdown", "code"):
        raise SystemExit(f"ERROR: cell {entry.get('id')!r} has cell_type {entry.get('cell_type')!r}: markdown or code")
    if entry["cell_type"] == "markdown":
        return {"cell_type": "markdown", "id": entry["id"], "metadata": entry.get("metadata", {}),
                "source": _lines(entry["source"])}
    return {"cell_type": "code", "execution_count": None, "id": entry["id"], "metadata": entry.get("metadata", {}),
            "outputs": [], "source": _lines(entry["source"])}


def _source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def apply_section(notebook: dict, section: list[dict], after: str) -> tuple[list[str], list[str]]:
    """Insert or replace ``section``'s cells in ``notebook`` (a notebook's JSON, changed in place);
    returns the ids inserted and the ids replaced. Raises SystemExit naming every conflict, before
    changing anything."""
    cells = notebook["cells"]
    ids = [cell.get("id") for cell in cells]
    if after not in ids:
        raise SystemExit(f"ERROR: the chapter has no cell {after!r} to insert after")
    conflicts = []
    for entry in section:
        if entry["id"] in ids:
            source = _source(cells[ids.index(entry["id"])])
            if "was_sha256" in entry and source != entry["source"] and _sha(source) != entry["was_sha256"]:
                conflicts.append(entry["id"])
    if conflicts:
        raise SystemExit(
            f"ERROR: the chapter's cells {', '.join(conflicts)} differ from the versions the section was written "
            "against (was_sha256): merge them by hand, then update the section's was_sha256"
        )
    inserted, replaced = [], []
    position = ids.index(after)
    for entry in section:
        ids = [cell.get("id") for cell in cells]
        if entry["id"] in ids:
            position = ids.index(entry["id"])
            if _source(cells[position]) != entry["source"]:
                cells[position] = _new_cell(entry)
                replaced.append(entry["id"])
        else:
            position += 1
            cells.insert(position, _new_cell(entry))
            inserted.append(entry["id"])
    return inserted, replaced


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("section", type=Path)
    parser.add_argument("--after", required=True, help="the id of the chapter cell the first new cell follows")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the chapter differs")
    args = parser.parse_args(argv)
    notebook = json.loads(args.chapter.read_text())
    section = json.loads(args.section.read_text())
    inserted, replaced = apply_section(notebook, section, args.after)
    if args.check:
        if inserted or replaced:
            print(f"{args.chapter}: would insert {inserted or 'none'}, replace {replaced or 'none'}")
            return 1
        print(f"{args.chapter} holds every cell of {args.section} as written")
        return 0
    if not inserted and not replaced:
        print(f"{args.chapter}: already holds {args.section}; nothing changed")
        return 0
    args.chapter.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    changed = ", ".join(inserted + replaced)
    print(f"{args.chapter}: inserted {len(inserted)} cell(s), replaced {len(replaced)}: {changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
