"""Execute one notebook with papermill; on failure name the notebook and the cell.

Usage: python -m rnnpaper.run_notebook notebooks/NN-x.ipynb build/executed/NN-x.ipynb \
           --profile paper [-p name value ...]

The executed copy is written next to the target and renamed into place only on success, so an
interrupted or failed run never leaves a target that Make would take as up to date.
"""

import argparse
import sys
import time
from pathlib import Path

import papermill as pm
import yaml


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("target", type=Path)
    ap.add_argument("--profile", default="paper")
    ap.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE")
    )
    args = ap.parse_args(argv)
    params = {"profile": args.profile, **{k: yaml.safe_load(v) for k, v in args.parameter}}
    args.target.parent.mkdir(parents=True, exist_ok=True)
    partial = args.target.with_suffix(".partial.ipynb")
    start = time.time()
    print(f"[run_notebook] {args.source} profile={args.profile}", flush=True)
    try:
        pm.execute_notebook(
            str(args.source),
            str(partial),
            parameters=params,
            cwd=str(args.source.parent),
            progress_bar=False,
        )
    except pm.PapermillExecutionError as e:
        print(
            f"\n[run_notebook] FAILED: {args.source}, cell {e.cell_index} "
            f"(execution count {e.exec_count}): {e.ename}: {e.evalue}\n"
            f"  the executed copy up to the failure is {partial}",
            file=sys.stderr,
        )
        return 1
    partial.replace(args.target)
    print(f"[run_notebook] {args.source} done in {time.time() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
