"""The one way the benchmarks (benchmarks/bench_cells.py, bench_glr.py) time a model.

Every implementation runs once per repetition, in an order rotated by one each repetition, so
that a slow spell of a shared machine falls on all of them; each ratio is taken against the
reference implementation of the same repetition, and the summaries are medians. Throughput
is tokens per CPU-second of this process (``time.process_time``): on a shared machine
wall-clock time mostly measures the other users, CPU time the work done. Wall-clock seconds
are kept beside it.
"""

import statistics
import time

import torch


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _since(start) -> tuple[float, float]:
    cpu, wall = _clock()
    return cpu - start[0], wall - start[1]


def train_step(model, x) -> tuple[float, float]:
    """Forward, the mean square of every output, backward: (CPU, wall) seconds."""
    start = _clock()
    y, _ = model(x)  # (B, T, H) or (B, T, 2H)
    y.square().mean().backward()
    model.zero_grad(set_to_none=True)
    return _since(start)


@torch.no_grad()
def infer_step(model, x) -> tuple[float, float]:
    """Forward only: (CPU, wall) seconds."""
    start = _clock()
    model(x)
    return _since(start)


def interleaved(models: dict, x, reps: int, log=None) -> dict:
    """One warm-up step each (``log``: its wall seconds, e.g. a compilation), then ``reps``
    rotated repetitions of a training and an inference step -> {name: {mode: [(cpu, wall)]}}."""
    names = list(models)
    for n, m in models.items():
        start = _clock()
        train_step(m, x), infer_step(m, x)
        if log:
            log(f"warm-up {n}: {_since(start)[1]:.1f} s")
    secs = {n: {"train": [], "infer": []} for n in names}
    for rep in range(reps):
        for n in names[rep % len(names) :] + names[: rep % len(names)]:
            secs[n]["train"].append(train_step(models[n], x))
            secs[n]["infer"].append(infer_step(models[n], x))
    return secs


def summarise(secs: dict, tokens: int, reference: str) -> dict:
    """Per implementation and mode: median tokens per CPU- and wall-second, the median
    per-repetition ratio to ``reference`` (its CPU seconds over the implementation's) with the
    smallest and largest, and the raw seconds."""
    out = {}
    for n, modes in secs.items():
        out[n] = {}
        for mode, cw in modes.items():
            cpu, wall = [c for c, _ in cw], [w for _, w in cw]
            ref = [c for c, _ in secs[reference][mode]]
            ratios = [r / v for r, v in zip(ref, cpu, strict=True)]
            out[n][mode] = {
                "tokens_per_s": statistics.median(tokens / v for v in cpu),
                "tokens_per_wall_s": statistics.median(tokens / w for w in wall),
                "ratio_to_fused_lstm": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "cpu_seconds": cpu,
                "wall_seconds": wall,
            }
    return out


def merge(payloads: list[dict]) -> dict:
    """Payloads of the same benchmark run in separate processes -> one: every repetition of
    every process pooled (medians, ratio min/max over all), with each process's median ratio
    kept as ``process_ratios`` (the spread between runs, which one process cannot show)."""
    first = payloads[0]
    batch, reference = first["config"]["batch"], first["reference"]
    lengths = {}
    for T, impls in first["lengths"].items():
        secs = {
            n: {
                mode: [cw for p in payloads for cw in _pairs(p["lengths"][T][n][mode])]
                for mode in impls[n]
            }
            for n in impls
        }
        lengths[T] = summarise(secs, batch * int(T), reference)
        for n in impls:
            for mode in impls[n]:
                lengths[T][n][mode]["process_ratios"] = [
                    p["lengths"][T][n][mode]["ratio_to_fused_lstm"] for p in payloads
                ]
    config = {**first["config"], "processes": len(payloads)}
    return {**first, "config": config, "lengths": lengths}


def _pairs(r: dict) -> list[tuple[float, float]]:
    return list(zip(r["cpu_seconds"], r["wall_seconds"], strict=True))


def in_processes(script: str, argv: list[str], k: int) -> dict:
    """Run ``script`` (a benchmark with ``--out``) ``k`` times, one fresh process after another,
    and :func:`merge` what they wrote."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from rnnpaper import results

    payloads = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(k):
            out = Path(tmp) / f"process{i}.json"
            subprocess.run([sys.executable, script, *argv, "--out", str(out)], check=True)
            payloads.append(results.read_json(out))
    return merge(payloads)


def without(argv: list[str], *options: str) -> list[str]:
    """``argv`` less each of ``options`` and its value ("--out X" or "--out=X")."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in options:
            skip = True
        elif not any(a.startswith(o + "=") for o in options):
            out.append(a)
    return out
