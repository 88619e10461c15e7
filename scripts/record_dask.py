"""Record chapter 07's multi-worker result on the interpreter that runs this script, into
gillab/references/dask/ (the chapter draws it where one effective CPU cannot show two workers at once).

    .venv/bin/python scripts/record_dask.py        # the standard build, GIL on
    .venv-ft/bin/python scripts/record_dask.py     # the free-threaded build (make ft-kernel), GIL off

It starts a local Dask cluster of 2 worker processes, sums 1..n where the serial loop takes about
--target-s seconds (default 1.0), paired with serial runs (--repeats, default 5), draws nothing and
writes one JSON file. Run it on a quiet multi-core machine (it prints how many CPUs other programs used).
"""

from __future__ import annotations

import argparse
import sys

from gillab.experiments.cluster_sum import (
    CLUSTER_FOLDER,
    compare_with_joblib,
    describe_cluster_record,
    record_cluster_sum,
    save_cluster_record,
)
from gillab.show.text import format_summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-s", type=float, default=1.0, help="serial seconds of the sum (default 1.0)")
    parser.add_argument("--repeats", type=int, default=5, help="paired runs per ratio (default 5)")
    parser.add_argument("--out", default=str(CLUSTER_FOLDER), help="folder to write into")
    args = parser.parse_args(argv)
    record = record_cluster_sum(target_s=args.target_s, repeats=args.repeats)
    path = save_cluster_record(record, args.out)
    section = record["sum"]
    print(describe_cluster_record(record))
    print(f"sum of 1..{section['n']:,}: 2 Dask workers {format_summary(section['dask'][0]['speedup'], 'x')}, "
          f"2 joblib processes {format_summary(section['processes'][0]['speedup'], 'x')}; "
          f"other programs used {section['others_cpu_cores']:.2f} CPUs meanwhile")
    print(compare_with_joblib(record))
    for row in record["layouts"]:
        print(f"  {row['workload']:<12} {row['layout']:<22} {format_summary(row['speedup'], 'x')}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
