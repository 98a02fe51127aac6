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
