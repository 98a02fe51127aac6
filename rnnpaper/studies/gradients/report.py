"""Notebook 02's presentation: the adding tables, the macros and six figures, from
results/02-gradients/ only (nothing here trains or measures)."""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from rnnpaper import paths, results
from rnnpaper.models import registry
from rnnpaper.report import labels, latex, plotting
from rnnpaper.tasks.adding import BASELINE_MSE

from . import frames
from .config import PRODUCER, STEM

SCALE = 1000  # the tables print the MSE in units of 10^-3


def load(results_dir: Path) -> tuple[dict, list]:
    """adding.json (sizes, tuning, the current runs) and the result rows it lists."""
    index = results.read_json(Path(results_dir) / "adding.json")
    adding = Path(results_dir) / "adding"
    return index, [results.read_json(adding / f"{stem}.json") for stem in index["runs"]]


def _order(kinds) -> list:
    """``kinds`` (any iterable, a generator included) in the registry's order."""
    kinds = set(kinds)
    return [k for k in registry.CELLS if k in kinds]


def sig(mean: float, std: float | None = None) -> str:
    """'mean ± std' with two significant digits of the mean (at least one decimal)."""
    if mean <= 0 or not math.isfinite(mean):
        return latex.fmt(mean, 1)
    d = max(1, 1 - math.floor(math.log10(mean)))
    return f"{mean:.{d}f}" if std is None or math.isnan(std) else f"{mean:.{d}f} ± {std:.{d}f}"


def ratio(log10_ratio: float) -> str:
    """An MSE ratio a / b with two significant digits: '0.31', '2.4', '160', or '1/160'."""
    r = 10**log10_ratio
    two = lambda x: f"{float(f'{x:.2g}'):.0f}" if x >= 100 else f"{x:.2g}"  # noqa: E731
    return f"1/{two(1 / r)}" if r < 0.1 else two(r)


def adding_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as rows, lengths as columns: test MSE x 10^3, mean ± sd over seeds ('--': not run)."""
    cells = [sig(SCALE * m, SCALE * s) for m, s in zip(frame["mean"], frame["std"], strict=True)]
    f = frame.assign(v=cells)
    wide = f.pivot(index="kind", columns="T", values="v").reindex(_order(f["kind"]))
    wide.index = [_name(k) for k in wide.index]
    wide.loc["Always 1 (baseline)"] = sig(SCALE * BASELINE_MSE)
    wide.columns = [f"T = {t}" for t in wide.columns]
    return wide.fillna("--").rename_axis("Cell").reset_index()


def compare_table(comp: pd.DataFrame) -> pd.DataFrame:
    """One row per compared pair and length: MSE ratio, Holm p, ordering over the budget."""
    word = {-1: "<", 1: ">", 0: "="}
    rows = []
    for r in comp.itertuples():
        rows.append(
            {
                "T": r.T,
                "pair (a, b)": f"{labels.cell(r.a)}, {labels.cell(r.b)}",
                "MSE a / b": ratio(r.log10_ratio),
                "p (Holm)": f"{r.p_holm:.3f}",
                "a vs b at 1/2, 3/4, all": " ".join(word[s] for s in r.signs),
            }
        )
    return pd.DataFrame(rows)


def tuning_table(index: dict) -> pd.DataFrame:
    """Validation MSE x 10^3 of each cell at each learning rate of the grid, and the choice."""
    t = index["tuning"]
    rows = []
    for kind in _order(t["val_mse"]):
        row = {"Cell": _name(kind)}
        for lr in t["grid"]:
            row[f"lr {lr:g}"] = sig(SCALE * t["val_mse"][kind][f"{lr:g}"])
        rows.append(row | {"chosen": f"{t['chosen'][kind]:g}"})
    return pd.DataFrame(rows)


def _name(kind: str) -> str:
    return labels.cell(kind).replace("RNN", "Elman")


def macros(index: dict, rows: list, summary: dict) -> dict:
    """Numbers of notebook 02 that the paper quotes in prose."""
    sz, frame = index["sizes"], frames.adding_frame(rows)
    comp, late = frames.comparisons(rows), frames.late_best(rows)
    values = {
        "addingSeeds": int(frame["n"].min()),
        "addingMaxT": int(frame["T"].max()),
        "addingElmanMaxT": sz["elman_max_length"],
        "addingBaselineMse": sig(SCALE * BASELINE_MSE),
        "addingHidden": sz["hidden"],
        "addingBatch": sz["batch"],
        "addingEvalEvery": sz["eval_every"],
        "addingTuneLength": index["tuning"]["length"],
        "addingRuns": len(rows),
        "addingTrainMinutes": round(index["train_s_total"] / 60),
        "addingCpuMinutes": round(index["cpu_s_total"] / 60),
        "addingComparisons": len(comp),
        "addingSignificant": int(comp["significant"].sum()) if len(comp) else 0,
        "addingStableOrderings": int(comp["stable"].sum()) if len(comp) else 0,
        "addingLateBest": int(late["late"].sum()),
        "normLength": sz["norm_length"],
        "radiusLength": sz["radius_length"],
        "clipLength": sz["clip_length"],
        "clipRho": sz["clip_rho"],
    }
    for up_to, steps in sz["budgets"]:
        values[f"adding steps to T{up_to}"] = steps
    for kind, lr in index["tuning"]["chosen"].items():
        values[f"adding {_name(kind)} lr"] = f"{lr:g}"
    for r in frame.itertuples():
        values[f"adding {_name(r.kind)} T{r.T} mse"] = sig(SCALE * r.mean, SCALE * r.std)
    for r in late.itertuples():
        values[f"adding {_name(r.kind)} T{r.T} late"] = r.late
    for r in comp.itertuples():
        key = f"adding {_name(r.a)} {_name(r.b)} T{r.T}"
        values[f"{key} ratio"] = ratio(r.log10_ratio)
        values[f"{key} p"] = f"{r.p_holm:.3f}"
    for rho, v in summary["radius"].items():
        values[f"radius {rho} norm"] = f"{v:.1e}"
    clip = summary["clipping"]
    values["clipFreeSteps"] = first_nonfinite(clip["free"]["loss"])  # the step its loss is NaN
    values["clipFinalLoss"] = clip["clipped"]["loss"][-1]
    values["sigmoidPrimeMax"] = summary["ranges"]["sigmoid'"]["max"]
    return values


def write_tables(results_dir: Path, generated: Path) -> list:
    """The adding, comparison and tuning tables and the macros, from the results files only."""
    index, rows = load(results_dir)
    summary = results.read_json(Path(results_dir) / "summary.json")
    generated, frame = Path(generated), frames.adding_frame(rows)
    tex = [
        latex.table(
            adding_table(frame),
            generated / f"{STEM}_adding.tex",
            producer=PRODUCER,
            align="l" + "r" * frame["T"].nunique(),
        ),
        latex.table(
            compare_table(frames.comparisons(rows)),
            generated / f"{STEM}_compare.tex",
            producer=PRODUCER,
            align="rlrrc",
        ),
        latex.table(tuning_table(index), generated / f"{STEM}_tuning.tex", producer=PRODUCER),
    ]
    values = macros(index, rows, summary)
    return tex + [latex.macros(values, generated / f"{STEM}_macros.tex", PRODUCER, 2)]


def plot_activations(ranges: dict, path: Path) -> Path:
    """sigmoid, tanh and their derivatives; a line at each derivative's measured maximum."""
    x = np.linspace(-6, 6, 601)
    sig, tanh = 1 / (1 + np.exp(-x)), np.tanh(x)
    curves = (("sigmoid", sig, sig * (1 - sig)), ("tanh", tanh, 1 - tanh**2))
    fig, axes = plt.subplots(1, 2, figsize=(plotting.width(0.6), 1.8), sharex=True)
    for ax, (name, y, dy), where in zip(axes, curves, ("upper left", "lower right"), strict=True):
        ax.plot(x, y, label=name)
        ax.plot(x, dy, "--", label=name + "'")
        ax.axhline(ranges[name + "'"]["max"], color="grey", lw=0.6)
        ax.legend(loc=where, frameon=False, handlelength=1.3)  # clear of the curves
        ax.set_xlabel("x")
    fig.tight_layout()
    return _save(fig, path)


def plot_norms(norms: dict, path: Path) -> Path:
    """||dL_T/dh_t|| against T - t per cell: dashed at initialisation, solid trained."""
    fig, ax = plt.subplots(figsize=(plotting.width(0.5), 2.3))
    handles = []
    for kind, curves in norms.items():
        lag = np.arange(len(curves["init"]))[::-1]  # T - t
        style = {"color": labels.colour(kind)}
        ax.semilogy(lag, curves["init"], "--", **style)
        if curves["trained"] is not None:
            ax.semilogy(lag, curves["trained"], "-", **style)
        handles.append(Line2D([], [], label=labels.cell(kind), **style))
    for ls, name in (("--", "init"), ("-", "trained")):  # the line style, in grey
        handles.append(Line2D([], [], ls=ls, color="k", label=name))
    ax.set_xlabel("T - t (steps back from the loss)")
    ax.set_ylabel("||dL_T / dh_t||")
    ax.legend(handles=handles, ncol=2, loc="lower left", frameon=False, columnspacing=1.0)
    fig.tight_layout()
    return _save(fig, path)


def plot_radius(radius: dict, T: int, path: Path) -> Path:
    """||dh_T/dh_0 v|| of a tanh Elman RNN against the spectral radius of W_hh."""
    fig, ax = plt.subplots(figsize=(plotting.width(0.42), 2.3))
    ax.semilogy([float(r) for r in radius], list(radius.values()), "o-")
    ax.axvline(1.0, color="grey", lw=0.6)
    ax.set_xlabel("spectral radius of W_hh")
    ax.set_ylabel(f"||dh_T/dh_0 v||, T = {T}")
    fig.tight_layout()
    return _save(fig, path)


CLIP_LABELS = {"free": "no clipping", "clipped": "clipped to norm 1"}


def first_nonfinite(values) -> int:
    """Index of the first inf or nan in ``values`` (its length when there is none)."""
    ok = np.isfinite(np.asarray(values, dtype=float))
    return int(np.argmin(ok)) if not ok.all() else len(ok)


def plot_clipping(clipping: dict, path: Path) -> Path:
    return _save(clipping_figure(clipping), path)


def clipping_figure(clipping: dict):
    """Loss and gradient norm per SGD step, with and without clipping; a run that diverges
    is drawn with markers up to its last finite step, where the figure says so."""
    fig, axes = plt.subplots(1, 2, figsize=(plotting.width(0.7), 2.0))
    for name, tr in clipping.items():
        for ax, key in zip(axes, ("loss", "grad_norm"), strict=True):
            v = np.asarray(tr[key], dtype=float)
            k = first_nonfinite(v)
            style = {"marker": "o", "ms": 3} if k < len(v) else {}
            (line,) = ax.semilogy(np.arange(k), v[:k], label=CLIP_LABELS.get(name, name), **style)
            if k < len(v):  # diverged: say where, at its last finite point
                ax.annotate(
                    f"NaN from step {k}",
                    xy=(k - 1, v[k - 1]),
                    xytext=(8, 6),
                    textcoords="offset points",
                    color=line.get_color(),
                )
    axes[0].set_ylabel("training loss (MSE)")
    axes[1].set_ylabel("gradient norm before clipping")
    for ax in axes:
        ax.set_xlabel("SGD step")
    axes[0].legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_adding(frame: pd.DataFrame, rows: list, path: Path) -> Path:
    """Test MSE against T per cell: every seed a dot, the mean a line; the always-1 baseline."""
    fig, ax = plt.subplots(figsize=(plotting.width(0.55), 2.4))
    seeds = pd.DataFrame([{k: r[k] for k in ("kind", "T", "test_mse")} for r in rows])
    for i, kind in enumerate(_order(frame["kind"])):
        f, dots = frame[frame["kind"] == kind], seeds[seeds["kind"] == kind]
        style = {"color": labels.colour(kind)}
        ax.plot(f["T"], f["mean"], "-", label=labels.cell(kind), **style)
        jitter = 1 + 0.04 * (i - 1)  # side by side on the log axis
        ax.plot(dots["T"] * jitter, dots["test_mse"], "o", ms=3, alpha=0.7, **style)
    ax.axhline(BASELINE_MSE, color="grey", ls="--", lw=0.8, label="always 1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("test MSE (dots: seeds; line: mean)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def plot_curves(rows: list, path: Path) -> Path:
    """Validation MSE against training steps, one panel per T, one thin line per seed."""
    curves = frames.mean_curves(rows)
    lengths = sorted({T for _, T in curves})
    ncol = min(3, len(lengths))
    nrow = math.ceil(len(lengths) / ncol)
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(plotting.width(1.0), 1.7 * nrow + 0.3), squeeze=False, sharey=True
    )
    for ax, T in zip(axes.flat, lengths, strict=False):
        for kind in _order(k for k, t in curves if t == T):
            steps, c = curves[(kind, T)]
            style = {"color": labels.colour(kind), "lw": 0.8}
            for i, seed_curve in enumerate(c):
                ax.plot(steps, seed_curve, label=labels.cell(kind) if i == 0 else None, **style)
        ax.axhline(BASELINE_MSE, color="grey", ls="--", lw=0.6)
        ax.set_yscale("log")
        ax.set_title(f"T = {T}")
        ax.set_xlabel("training step")
    for ax in axes.flat[len(lengths) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("validation MSE")
    fullest = max(axes.flat[: len(lengths)], key=lambda ax: len(ax.get_legend_handles_labels()[1]))
    handles, names = fullest.get_legend_handles_labels()  # the panel where every cell ran
    fig.legend(handles, names, loc="upper center", ncol=len(names), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.25 / fig.get_figheight()))
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    out = plotting.save(fig, path)
    plt.close(fig)
    return out


def report(profile: str) -> dict:
    """Tables, macros and figures of notebook 02 from its results -> name: written path."""
    out = paths.outputs(profile)
    res_dir, fig = out.results / STEM, str(out.figures / STEM)
    adding_tex, compare_tex, tuning_tex, macro_file = write_tables(res_dir, out.generated)
    s = results.read_json(res_dir / "summary.json")
    _, rows = load(res_dir)
    plotting.use_style()
    return {
        "table": adding_tex,
        "compare": compare_tex,
        "tuning": tuning_tex,
        "macros": macro_file,
        "activations": plot_activations(s["ranges"], Path(f"{fig}_activations")),
        "norms": plot_norms(s["norms"], Path(f"{fig}_norms")),
        "radius": plot_radius(s["radius"], s["sizes"]["radius_length"], Path(f"{fig}_radius")),
        "clipping": plot_clipping(s["clipping"], Path(f"{fig}_clipping")),
        "adding": plot_adding(frames.adding_frame(rows), rows, Path(f"{fig}_adding")),
        "curves": plot_curves(rows, Path(f"{fig}_curves")),
    }
