"""Training and inference throughput of the bidirectional GLR layer against torch.nn.LSTM.

One bidirectional layer each (B=64, E=H=128): the GLR (``Recurrent("glr")``: all gates in one
matrix product, then the linear scan of rnnpaper.models.scan, step by step with the backward
by hand, or chunked; or "fused", glr.FusedGLR: gates, scan and their backward by hand in one
autograd node) and the fused bidirectional ``torch.nn.LSTM`` of the same width. Each
repetition runs every implementation once in a rotated order; ratios are taken against the
LSTM of the same repetition, and we report medians with the smallest and largest ratio. As in
bench_cells.py, throughput is tokens per CPU-second of this process (:mod:`rnnpaper.benchmark`;
wall-clock seconds are kept in the JSON too).

    .venv/bin/python benchmarks/bench_glr.py --threads 1 --reps 7 --out glr.json
    .venv/bin/python benchmarks/bench_glr.py --quick      # T=16, 1 repetition: a smoke test
"""

import argparse
import sys

import torch

from rnnpaper import benchmark, results
from rnnpaper.models import recurrent

IMPLS = {  # name -> (cell kind, impl, GLR scan form)
    "LSTM fused (torch.nn)": ("lstm", "fused", None),
    "GLR, sequential scan": ("glr", "scratch", "sequential"),
    "GLR, chunked scan": ("glr", "scratch", "chunked"),
    "GLR, fused": ("glr", "scratch", "fused"),
}
REFERENCE = "LSTM fused (torch.nn)"


def build(kind, impl, form, E, H):
    """One bidirectional single-layer Recurrent; the GLR's cells use ``form``."""
    torch.manual_seed(0)
    model = recurrent.Recurrent(kind, E, H, bidirectional=True, impl=impl)
    for cell in getattr(model, "cells", ()):
        cell.scan_form = form
    return model


def measure(T, args):
    """Repetitions at length T in a rotated order -> {name: {mode: [(cpu, wall)...]}}."""
    x = torch.randn(args.batch, T, args.embed)  # (B, T, E)
    models = {n: build(*IMPLS[n], args.embed, args.hidden) for n in IMPLS}
    return benchmark.interleaved(models, x, args.reps)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[128, 512])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="T=16, one repetition: a smoke test")
    p.add_argument("--processes", type=int, default=1, help="repeat in this many processes")
    p.add_argument("--out", default=None, help="write the measurements to this JSON file")
    args = p.parse_args(argv)
    if args.processes > 1:  # the same benchmark in fresh processes, pooled (rnnpaper.benchmark)
        child = benchmark.without(
            sys.argv[1:] if argv is None else list(argv), "--processes", "--out"
        )
        payload = benchmark.in_processes(__file__, child, args.processes)
        if args.out:
            results.write_json(args.out, payload)
            print("wrote", args.out, f"({args.processes} processes)")
        return payload
    if args.quick:
        args.lengths, args.reps = [16], 1
    torch.set_num_threads(args.threads)
    runs = {}
    for T in args.lengths:
        runs[str(T)] = benchmark.summarise(measure(T, args), args.batch * T, REFERENCE)
        for n, r in runs[str(T)].items():
            train, infer = r["train"], r["infer"]
            print(
                f"T={T} {n:24s} train {train['tokens_per_s']:9.0f} tok/s "
                f"x{train['ratio_to_fused_lstm']:.2f}  infer {infer['tokens_per_s']:9.0f} tok/s "
                f"x{infer['ratio_to_fused_lstm']:.2f}"
            )
    payload = {
        "config": {k: v for k, v in vars(args).items() if k != "out"},
        "reference": REFERENCE,
        "impls": IMPLS,
        "lengths": runs,
        "environment": results.environment(),
        **results.provenance(),
    }
    if args.out:
        results.write_json(args.out, payload)
        print("wrote", args.out)
    return payload


if __name__ == "__main__":
    main()
