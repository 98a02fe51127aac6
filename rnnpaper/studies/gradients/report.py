"""Notebook 02's presentation: the adding table, the macros and five figures, from
results/02-gradients/ only (nothing here trains or measures)."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rnnpaper import paths, results
from rnnpaper.models import registry
from rnnpaper.report import labels, latex, plotting
from rnnpaper.tasks.adding import BASELINE_MSE, SOLVED_MSE

from .config import PRODUCER, STEM


def load_adding_rows(results_dir: Path) -> list:
    """Every adding run's result file, in name order."""
    return [results.read_json(p) for p in sorted((Path(results_dir) / "adding").glob("*.json"))]


def adding_frame(rows: list) -> pd.DataFrame:
    """Mean and std of the test MSE over seeds, and how many seeds solved it, per cell and T."""
    df = pd.DataFrame([{k: r[k] for k in ("kind", "T", "seed", "test_mse")} for r in rows])
    g = df.groupby(["kind", "T"])["test_mse"]
    out = pd.DataFrame(
        {
            "mean": g.mean(),
            "std": g.std(ddof=1),
            "n": g.size(),
            "solved": g.apply(lambda v: int((v < SOLVED_MSE).sum())),
        }
    )
    return out.reset_index()


def adding_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as rows, lengths as columns: 'mean +- std (solved/n)' of the test MSE."""
    cell = lambda r: f"{r['mean']:.4f} ± {r['std']:.4f} ({r['solved']}/{r['n']})"  # noqa: E731
    wide = frame.assign(v=frame.apply(cell, axis=1)).pivot(index="kind", columns="T", values="v")
    wide = wide.reindex([k for k in registry.CELLS if k in wide.index])
    wide.columns = [f"T = {t}" for t in wide.columns]
    wide.index = [labels.cell_title(k) for k in wide.index]
    return wide.rename_axis("Cell").reset_index()


def macros(frame: pd.DataFrame, summary: dict) -> dict:
    """Numbers of notebook 02 that the paper quotes in prose."""
    sz = summary["sizes"]
    values = {
        "addingSeeds": int(frame["n"].min()),
        "addingMaxT": int(frame["T"].max()),
        "addingSolvedMse": SOLVED_MSE,
        "addingBaselineMse": BASELINE_MSE,
        "addingHidden": sz["hidden"],
        "addingBatch": sz["batch"],
        "addingSteps": sz["epochs"] * sz["steps_per_epoch"],
        "normLength": sz["norm_length"],
        "radiusLength": sz["radius_length"],
        "clipLength": sz["clip_length"],
        "clipRho": sz["clip_rho"],
    }
    for r in frame.itertuples():
        values[f"adding {r.kind} T{r.T} solved"] = r.solved
    for rho, v in summary["radius"].items():
        values[f"radius {rho} norm"] = f"{v:.1e}"
    clip = summary["clipping"]
    values["clipFreeSteps"] = len(clip["free"]["loss"])
    values["clipFinalLoss"] = clip["clipped"]["loss"][-1]
    values["sigmoidPrimeMax"] = summary["ranges"]["sigmoid'"]["max"]
    return values


def write_tables(results_dir: Path, generated: Path) -> list:
    """The adding table and the macros, from the results files only."""
    frame = adding_frame(load_adding_rows(results_dir))
    summary = results.read_json(Path(results_dir) / "summary.json")
    table = latex.table(
        adding_table(frame),
        Path(generated) / f"{STEM}_adding.tex",
        producer=PRODUCER,
        align="l" + "r" * frame["T"].nunique(),
    )
    values = macros(frame, summary)
    return [table, latex.macros(values, Path(generated) / f"{STEM}_macros.tex", PRODUCER, 2)]


def plot_activations(ranges: dict, path: Path) -> Path:
    """sigmoid, tanh and their derivatives; a line at each derivative's measured maximum."""
    x = np.linspace(-6, 6, 601)
    sig, tanh = 1 / (1 + np.exp(-x)), np.tanh(x)
    curves = (("sigmoid", sig, sig * (1 - sig)), ("tanh", tanh, 1 - tanh**2))
    fig, axes = plt.subplots(1, 2, figsize=(7, 2.8), sharex=True)
    for ax, (name, y, dy) in zip(axes, curves, strict=True):
        ax.plot(x, y, label=name)
        ax.plot(x, dy, "--", label=name + "'")
        ax.axhline(ranges[name + "'"]["max"], color="grey", lw=0.6)
        ax.legend()
        ax.set_xlabel("x")
    return _save(fig, path)


def plot_norms(norms: dict, path: Path) -> Path:
    """||dL_T/dh_t|| against T - t per cell: dashed at initialisation, solid trained."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for kind, curves in norms.items():
        lag = np.arange(len(curves["init"]))[::-1]  # T - t
        style = {"color": labels.colour(kind)}
        ax.semilogy(lag, curves["init"], "--", label=f"{labels.cell(kind)}, init", **style)
        if curves["trained"] is not None:
            ax.semilogy(lag, curves["trained"], "-", label=f"{labels.cell(kind)}, trained", **style)
    ax.set_xlabel("T - t (steps back from the loss)")
    ax.set_ylabel("||dL_T / dh_t||")
    ax.legend(ncol=2, fontsize=7)
    return _save(fig, path)


def plot_radius(radius: dict, T: int, path: Path) -> Path:
    """||dh_T/dh_0 v|| of a tanh Elman RNN against the spectral radius of W_hh."""
    fig, ax = plt.subplots(figsize=(4.5, 3))
    ax.semilogy([float(r) for r in radius], list(radius.values()), "o-")
    ax.axvline(1.0, color="grey", lw=0.6)
    ax.set_xlabel("spectral radius of W_hh")
    ax.set_ylabel(f"||dh_T/dh_0 v||, T = {T}")
    return _save(fig, path)


def plot_clipping(clipping: dict, path: Path) -> Path:
    """Loss and gradient norm per SGD step, with and without clipping."""
    fig, axes = plt.subplots(1, 2, figsize=(7, 2.8))
    for name, tr in clipping.items():
        axes[0].semilogy(tr["loss"], label=name)
        axes[1].semilogy(tr["grad_norm"], label=name)
    axes[0].set_ylabel("training loss (MSE)")
    axes[1].set_ylabel("gradient norm before clipping")
    for ax in axes:
        ax.set_xlabel("SGD step")
        ax.legend()
    return _save(fig, path)


def plot_adding(frame: pd.DataFrame, path: Path) -> Path:
    """Test MSE (mean ± std over seeds) against T per cell, with the baseline and 'solved'."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for kind in (k for k in registry.CELLS if k in set(frame["kind"])):
        f = frame[frame["kind"] == kind]
        ax.errorbar(
            f["T"],
            f["mean"],
            yerr=f["std"].fillna(0),
            marker="o",
            capsize=3,
            color=labels.colour(kind),
            label=labels.cell(kind),
        )
    ax.axhline(BASELINE_MSE, color="grey", ls="--", lw=0.8, label="always 1")
    ax.axhline(SOLVED_MSE, color="grey", ls=":", lw=0.8, label="solved")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("test MSE (mean ± std over seeds)")
    ax.legend(fontsize=7)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    out = plotting.save(fig, path)
    plt.close(fig)
    return out


def report(profile: str) -> dict:
    """Table, macros and figures of notebook 02 from its results -> name: written path."""
    out = paths.outputs(profile)
    res_dir, fig = out.results / STEM, str(out.figures / STEM)
    table, macro_file = write_tables(res_dir, out.generated)
    s = results.read_json(res_dir / "summary.json")
    frame = adding_frame(load_adding_rows(res_dir))
    plotting.use_style()
    return {
        "table": table,
        "macros": macro_file,
        "activations": plot_activations(s["ranges"], Path(f"{fig}_activations")),
        "norms": plot_norms(s["norms"], Path(f"{fig}_norms")),
        "radius": plot_radius(s["radius"], s["sizes"]["radius_length"], Path(f"{fig}_radius")),
        "clipping": plot_clipping(s["clipping"], Path(f"{fig}_clipping")),
        "adding": plot_adding(frame, Path(f"{fig}_adding")),
    }
