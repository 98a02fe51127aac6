"""Training and inference throughput of every recurrent implementation, in one process.

Each repetition runs every implementation once in a rotated order, and each ratio is taken
against the fused torch.nn.LSTM of the same repetition; we report medians over repetitions
with the smallest and largest ratio, in tokens per CPU-second of this process
(:mod:`rnnpaper.benchmark`, shared with bench_glr.py). Wall-clock times are kept in the JSON
too.
Writes results/03-lstm-gru/benchmark.json.

    .venv/bin/python benchmarks/bench_cells.py            # B=64, E=128, H=256, T=128 and 512
    .venv/bin/python benchmarks/bench_cells.py --quick    # a few seconds, for a smoke test
"""

import argparse
import sys

import torch

from rnnpaper import benchmark, paths, results
from rnnpaper.models import recurrent

IMPLS = {  # name -> (cell kind, impl, how)
    "LSTM fused (torch.nn)": ("lstm", "fused", "fused"),
    "LSTM scratch, hand BPTT": ("lstm", "scratch", "hand"),
    "LSTM scratch, autograd": ("lstm", "scratch", "autograd"),
    "LSTM scratch, compiled cell": ("lstm", "scratch", "compiled"),
    "GRU fused (torch.nn)": ("gru", "fused", "fused"),
    "GRU scratch, autograd": ("gru", "scratch", "autograd"),
    "GRU proposal form, autograd": ("gru_proposal", "scratch", "autograd"),
    "RNN fused (torch.nn)": ("rnn", "fused", "fused"),
    "RNN scratch, autograd": ("rnn", "scratch", "autograd"),
}
REFERENCE = "LSTM fused (torch.nn)"


def build(kind, impl, how, E, H):
    """One single-layer Recurrent; 'compiled' wraps the cell's step in torch.compile."""
    torch.manual_seed(0)
    model = recurrent.Recurrent(kind, E, H, impl=impl)
    if impl == "scratch":
        cell = model.cells[0]
        cell.hand_backward = how == "hand"  # the LSTM's hand-derived BPTT, else autograd
        if how == "compiled":
            cell.recur = torch.compile(cell.recur, dynamic=False)
    return model


def measure(T, args, names):
    """Interleaved repetitions at sequence length T -> {name: {mode: [(cpu, wall)...]}}."""
    x = torch.randn(args.batch, T, args.embed)  # (B, T, E)
    models = {n: build(*IMPLS[n], args.embed, args.hidden) for n in names}
    log = lambda m: print(f"T={T} {m}", flush=True)  # noqa: E731
    return benchmark.interleaved(models, x, args.reps, log)  # warm-up (and compilation) first


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[128, 512])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--no-compile", action="store_true")
    p.add_argument("--quick", action="store_true", help="tiny sizes, 2 reps, no compile")
    p.add_argument("--processes", type=int, default=1, help="repeat in this many processes")
    p.add_argument("--out", default=str(paths.ROOT / "results/03-lstm-gru/benchmark.json"))
    args = p.parse_args(argv)
    if args.processes > 1:  # the same benchmark in fresh processes, pooled (rnnpaper.benchmark)
        child = benchmark.without(
            sys.argv[1:] if argv is None else list(argv), "--processes", "--out"
        )
        payload = benchmark.in_processes(__file__, child, args.processes)
        results.write_json(args.out, payload)
        print("wrote", args.out, f"({args.processes} processes)")
        return payload
    if args.quick:
        args.lengths, args.batch, args.embed, args.hidden, args.reps = [16], 8, 16, 32, 2
        args.no_compile = True
    torch.set_num_threads(args.threads)
    names = [n for n in IMPLS if not (args.no_compile and IMPLS[n][2] == "compiled")]
    runs = {}
    for T in args.lengths:
        runs[str(T)] = benchmark.summarise(measure(T, args, names), args.batch * T, REFERENCE)
        for n, r in runs[str(T)].items():
            print(
                f"T={T} {n:30s} train {r['train']['tokens_per_s']:9.0f} tok/s "
                f"x{r['train']['ratio_to_fused_lstm']:.2f}  infer "
                f"{r['infer']['tokens_per_s']:9.0f} tok/s x{r['infer']['ratio_to_fused_lstm']:.2f}"
            )
    config = {k: v for k, v in vars(args).items() if k != "out"}
    payload = {
        "config": config,
        "reference": REFERENCE,
        "impls": IMPLS,
        "lengths": runs,
        "environment": results.environment(),
        **results.provenance(),
    }
    results.write_json(args.out, payload)
    print("wrote", args.out)
    return payload


if __name__ == "__main__":
    main()
