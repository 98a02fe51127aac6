"""Notebook 03's presentation: the parameter-count and benchmark tables, the macros, and the
gate and benchmark figures, from results/03-lstm-gru/ only."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rnnpaper import paths, results
from rnnpaper.models import recurrent, registry
from rnnpaper.report import labels, latex, plotting

from .config import PRODUCER, STEM

VARIANT = {"gru": "GRU (torch.nn form)"}  # beside the proposal-form GRU in the same table
BENCH_MACROS = {  # benchmark implementation -> macro key of its ratio to the fused LSTM
    "LSTM scratch, hand BPTT": "hand",
    "LSTM scratch, compiled cell": "compiled",
    "LSTM scratch, autograd": "autograd",
}
SCRATCH_OVER_FUSED = {  # macro key -> (scratch, fused) benchmark implementations
    "gru": ("GRU scratch, autograd", "GRU fused (torch.nn)"),
    "rnn": ("RNN scratch, autograd", "RNN fused (torch.nn)"),
}


def closed_forms(kind: str) -> tuple[str, str]:
    """One layer's parameter count as the equations give it, and as torch.nn stores it."""
    spec = registry.spec(kind)
    G = str(spec.gates) if spec.gates > 1 else ""
    inputs = "n+m+1" if spec.cell.recurrent_weights else "n+1"  # no W_h: gates see x_t only
    equations = f"{G}({inputs})m" + " + m" * len(spec.cell.extra_biases)
    return equations, f"{G}(n+m+2)m" if spec.fused is not None else "--"


def parameter_table(n: int, m: int) -> pd.DataFrame:
    """Closed forms and counted parameters of one layer of every cell, input n, hidden m."""
    rows = []
    for kind, spec in registry.CELLS.items():
        if kind in registry.ABLATIONS:
            continue  # the proposed cell less one part: the proposed model's ablation table
        counted = sum(p.numel() for p in spec.cell(n, m).parameters())
        assert counted == recurrent.param_count(kind, n, m)
        fused = (
            None if spec.fused is None else sum(p.numel() for p in spec.fused(n, m).parameters())
        )
        equations, torch_form = closed_forms(kind)
        rows.append(
            {
                "Cell": VARIANT.get(kind, labels.cell_title(kind)),
                "equations": equations,
                "count": counted,
                "torch.nn": torch_form,
                "torch.nn count": fused,
            }
        )
    return pd.DataFrame(rows)


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def bench_frame(bench: dict) -> pd.DataFrame:
    """One row per implementation: tokens/s and ratio to the fused LSTM, per T and mode."""
    rows = []
    for T, impls in bench["lengths"].items():
        for name, r in impls.items():
            for mode in ("train", "infer"):
                rows.append(
                    {
                        "impl": name,
                        "T": int(T),
                        "mode": mode,
                        "tokens_per_s": r[mode]["tokens_per_s"],
                        "ratio": r[mode]["ratio_to_fused_lstm"],
                        "ratio_min": r[mode].get("ratio_min"),
                        "ratio_max": r[mode].get("ratio_max"),
                        "process_min": min(r[mode].get("process_ratios", [np.nan])),
                        "process_max": max(r[mode].get("process_ratios", [np.nan])),
                    }
                )
    return pd.DataFrame(rows)


def bench_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Implementations as rows; training and inference tokens/s (ratio) per T."""
    cols = {}
    for (T, mode), f in frame.groupby(["T", "mode"], sort=True):
        cols[f"{mode} T={T}"] = {
            r.impl: f"{r.tokens_per_s / 1000:.1f}k (x{r.ratio:.2f})" for r in f.itertuples()
        }
    table = pd.DataFrame(cols)
    table = table[sorted(table.columns, key=lambda c: (c.startswith("infer"), c))]
    return table.reset_index().rename(columns={"index": "Implementation"})


def macros(bench: dict, frame: pd.DataFrame, gates: dict) -> dict:
    """Numbers of notebook 03 that the paper quotes in prose."""
    cfg = bench["config"]
    n, m = gates["parameter_sizes"]
    values = {
        "benchThreads": cfg["threads"],
        "benchReps": cfg["reps"],
        "benchProcesses": cfg.get("processes", 1),
        "benchB": cfg["batch"],
        "benchE": cfg["embed"],
        "benchH": cfg["hidden"],
        "paramN": n,
        "paramM": m,
        "sstHidden": gates["sizes"]["hidden"],
        "sstEmbed": gates["sizes"]["embed"],
        "sstValAcc": 100 * gates["best"]["accuracy"],
        "sstTestAcc": 100 * gates["best"]["test_accuracy"],
        "gatesMaxDiff": f"{gates['max_abs_diff']:.0e}",
    }
    for r in frame.itertuples():
        if r.impl in BENCH_MACROS:
            key = f"bench {BENCH_MACROS[r.impl]} {r.mode} T{r.T}"
            values[f"{key} ratio"] = r.ratio
            values[f"{key} min"], values[f"{key} max"] = r.ratio_min, r.ratio_max
            values[f"{key} process min"] = r.process_min  # the spread between runs
            values[f"{key} process max"] = r.process_max
        if r.impl == bench["reference"]:
            values[f"bench fused {r.mode} T{r.T} ktok"] = r.tokens_per_s / 1000
    train = frame[frame["mode"] == "train"].set_index(["impl", "T"])["ratio"]
    for T in sorted(frame["T"].unique()):
        for key, (scratch, fused) in SCRATCH_OVER_FUSED.items():
            values[f"{key} scratch over fused T{T}"] = train[(scratch, T)] / train[(fused, T)]
    return values


def write_tables(results_dir: Path, generated: Path) -> list:
    """The benchmark and parameter tables and the macros, from the results files only."""
    results_dir, generated = Path(results_dir), Path(generated)
    bench = results.read_json(results_dir / "benchmark.json")
    gates = results.read_json(results_dir / "gates.json")
    frame = bench_frame(bench)
    return [
        latex.table(
            bench_table(frame), generated / f"{STEM}_benchmark.tex", PRODUCER, align="lrrrr"
        ),
        latex.table(
            parameter_table(*gates["parameter_sizes"]),
            generated / f"{STEM}_params.tex",
            PRODUCER,
            digits=0,
            align="lllll",
        ),
        latex.macros(macros(bench, frame, gates), generated / f"{STEM}_macros.tex", PRODUCER, 2),
    ]


def plot_gates(sentences: list, path: Path) -> Path:
    """Mean input, forget and output gate per token of each sentence, one panel each."""
    fig, axes = plt.subplots(
        len(sentences), 1, figsize=(plotting.width(0.85), 1.5 * len(sentences)), sharey=True
    )
    axes = np.atleast_1d(axes)
    for ax, s in zip(axes, sentences, strict=True):
        steps = np.arange(len(s["tokens"]))
        for k, name in (("i", "input gate"), ("f", "forget gate"), ("o", "output gate")):
            ax.plot(steps, [g[k] for g in s["gates"]], marker=".", label=name)
        ax.set_xticks(steps, s["tokens"], rotation=40, ha="right", rotation_mode="anchor")
        ax.set_title(f"label {s['label']}, p(positive) = {s['p_positive']:.2f}")
        ax.set_ylim(0, 1)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=3, frameon=False)
    fig.supylabel("mean gate value")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.2 / fig.get_figheight()))
    return _save(fig, path)


def plot_benchmark(frame: pd.DataFrame, path: Path) -> Path:
    """Training throughput of each implementation relative to the fused LSTM, per T."""
    train = frame[frame["mode"] == "train"]
    impls = list(dict.fromkeys(train["impl"]))
    fig, ax = plt.subplots(figsize=(plotting.width(0.7), 2.6))
    width = 0.8 / train["T"].nunique()
    for k, (T, f) in enumerate(train.groupby("T")):
        ratio = f.set_index("impl").reindex(impls)["ratio"]
        ax.barh(np.arange(len(impls)) + k * width, ratio, height=width, label=f"T = {T}")
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.axvline(0.9, color="grey", lw=0.8, ls=":")
    ax.set_yticks(np.arange(len(impls)) + width / 2, impls)
    ax.invert_yaxis()
    ax.set_xlabel("training throughput relative to fused torch.nn.LSTM")
    ax.legend(frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    out = plotting.save(fig, path)
    plt.close(fig)
    return out


def report(profile: str) -> dict:
    """Tables, macros and figures of notebook 03 from its results -> name: written path."""
    out = paths.outputs(profile)
    res_dir, fig = out.results / STEM, str(out.figures / STEM)
    bench_tex, params_tex, macros_tex = write_tables(res_dir, out.generated)
    gates = results.read_json(res_dir / "gates.json")
    frame = bench_frame(results.read_json(res_dir / "benchmark.json"))
    plotting.use_style()
    return {
        "benchmark_table": bench_tex,
        "params": params_tex,
        "macros": macros_tex,
        "gates": plot_gates(gates["sentences"], Path(f"{fig}_gates")),
        "benchmark": plot_benchmark(frame, Path(f"{fig}_benchmark")),
    }
