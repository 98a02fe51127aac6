"""python -m rnnpaper.studies <study> run|report [--profile paper] [--threads N]"""

import argparse

import torch

from rnnpaper import studies


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rnnpaper.studies", description=__doc__)
    ap.add_argument("study", choices=sorted(studies.STUDIES.values()))
    ap.add_argument(
        "step",
        choices=("run", "report"),
        help="run: compute results; report: tables, macros and figures from the results files only",
    )
    ap.add_argument("--profile", default="smoke", help="smoke (seconds to minutes) or paper")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    step = studies.run if args.step == "run" else studies.report
    step(args.study, args.profile)


if __name__ == "__main__":
    main()
