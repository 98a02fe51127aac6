"""python -m rnnpaper.studies <study> run|report|plan [--profile paper] [--threads N]"""

import argparse

import torch

from rnnpaper import studies


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rnnpaper.studies", description=__doc__)
    ap.add_argument("study", choices=sorted(studies.STUDIES.values()))
    ap.add_argument(
        "step",
        choices=("run", "report", "plan"),
        help="run: compute results; report: tables, macros and figures from the results files "
        "only; plan: the runs of the profile and their estimated CPU time (classification)",
    )
    ap.add_argument("--profile", default="smoke", help="smoke (seconds to minutes) or paper")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    step = {"run": studies.run, "report": studies.report, "plan": studies.plan}[args.step]
    step(args.study, args.profile)


if __name__ == "__main__":
    main()
