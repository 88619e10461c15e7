"""Record what each way around the GIL costs on the interpreter that runs this script, into
gillab/references/three_ways/ (chapter 06 shows these beside its own kernel's measurements, for
the ways its kernel cannot use): start-up per worker, handing over 10 MiB, memory per worker, which
C extensions load, the own-GIL probe's answers and the paired speedup of 2 workers of each way.

    .venv-gil/bin/python scripts/record_three_ways.py   # standard 3.13+ (make gil-kernel): processes, subinterpreters
    .venv-ft/bin/python scripts/record_three_ways.py    # free-threaded (make ft-kernel): + free-threaded threads

Options: --repeats N (default 5), --out FOLDER (default gillab/references/three_ways). Each file
says the Python, its build, the CPU and the load average it was recorded at: run both on the same
machine, as quiet as it gets.
"""

from __future__ import annotations

import argparse
import sys

from gillab.experiments.three_ways import RECORDINGS, costs_table, load_recordings, record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each timing (default 5)")
    parser.add_argument("--out", default=str(RECORDINGS), help="folder to write into")
    args = parser.parse_args(argv)
    path = record(args.out, repeats=args.repeats)
    [saved] = [data for data in load_recordings(args.out) if data["file"] == path.name]
    entries = [{**entry, "source": f"recorded ({path.name})"} for entry in saved["ways"].values()]
    print(costs_table(entries))
    for mode, found in saved["speedups"].items():
        print(f"2 {mode} over serial: {found['speedup']['median']:.2f}x (load average {found['load_average']})")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
