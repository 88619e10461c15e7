"""Record chapter 01's plain ``+=`` race on the interpreter that runs this script, into
gillab/references/races/ (chapter 06 shows these runs beside its own kernel's).

    .venv/bin/python scripts/record_race.py        # the standard build, GIL on
    .venv-ft/bin/python scripts/record_race.py     # the free-threaded build (make ft-kernel), GIL off

Options: --trials N (default 5), --out FOLDER (default gillab/references/races). Run both on the
same quiet multi-core machine, so the two files compare like with like.
"""

from __future__ import annotations

import argparse
import sys

from gillab.experiments.race import RACE_FOLDER, describe_race_record, record_race, save_race_record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5, help="runs of the race (default 5)")
    parser.add_argument("--out", default=str(RACE_FOLDER), help="folder to write into")
    args = parser.parse_args(argv)
    record = record_race(trials=args.trials)
    path = save_race_record(record, args.out)
    print(describe_race_record(record))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
