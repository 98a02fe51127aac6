"""Notebook 00's presentation: the dataset table, the macros and the length histograms, from
results/00-data/stats.json only (restyling never reloads the data)."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rnnpaper import paths, results
from rnnpaper.report import latex, plotting

from .config import IN_PAPER, PERCENTILES, PRODUCER, STEM


def in_paper(stats: dict) -> list[dict]:
    """The described datasets that some study uses (config.IN_PAPER), in the paper's order."""
    by = {r["dataset"]: r for r in stats["datasets"]}
    return [by[name] for name in IN_PAPER if name in by]


def stats_table(stats: dict) -> pd.DataFrame:
    """The paper's dataset table from a results file's contents."""
    rows = []
    for r in in_paper(stats):
        maj = r.get("majority_test")
        rows.append(
            {
                "Dataset": r["dataset"],
                "Train": r["n_train"],
                "Val.": r["n_validation"],
                "Test": r["n_test"],
                "Classes": r.get("classes", "--"),
                "Majority (%)": "--" if maj is None else f"{100 * maj:.1f}",
                **{f"p{p} len.": int(round(r[f"len_p{p}"])) for p in PERCENTILES},
            }
        )
    return pd.DataFrame(rows)


def macros(stats: dict) -> dict:
    """Numbers of the data section that the paper quotes in prose."""
    by = {r["dataset"]: r for r in in_paper(stats)}
    out = {
        "data validation percent": int(round(100 * stats["validation_fraction"])),
        "data validation seed": str(stats["validation_seed"]),
    }
    for name, r in by.items():
        for split in ("train", "validation", "test"):
            out[f"data {name} {split}"] = r[f"n_{split}"]
        out[f"data {name} median length"] = int(round(r["len_p50"]))
    return out


def write_report(results_path: Path, generated: Path, producer: str = PRODUCER) -> list[Path]:
    """Table and macros of notebook 00 from its results file (and nothing else)."""
    stats = results.read_json(results_path)
    stem = Path(producer).stem
    return [
        latex.table(stats_table(stats), generated / f"{stem}_stats.tex", producer, digits=0),
        latex.macros(macros(stats), generated / f"{stem}_macros.tex", producer, digits=0),
    ]


def plot_lengths(stats: dict, path: Path) -> Path:
    """Step histograms of token lengths per dataset, log-scaled x axis."""
    bins = np.array(stats["length_bins"])
    fig, axes = plt.subplots(1, 2, figsize=(plotting.width(1.0), 2.4), sharex=True)
    for r in in_paper(stats):
        ax = axes[0] if r["task"] == "classification" else axes[1]
        counts = np.array(r["length_hist"], dtype=float)
        dashed = r["dataset"] == "sst5"  # SST-5 shares SST-2's sentences: it would hide them
        ax.stairs(counts / counts.sum(), bins, label=r["dataset"], ls="--" if dashed else "-")
    titles = ("classification (train)", "summarization (train documents)")
    for ax, title in zip(axes, titles, strict=True):
        ax.set(xscale="log", xlim=(1, 2e4), xlabel="tokens per text", title=title)
        ax.legend(frameon=False)
    axes[0].set_ylabel("share of texts")
    fig.tight_layout()
    out = plotting.save(fig, path)
    plt.close(fig)
    return out


def report(profile: str) -> dict:
    """Table, macros and the figure of notebook 00 from its results -> name: written path."""
    out = paths.outputs(profile)
    stats_path = out.results / STEM / "stats.json"
    table, macro_file = write_report(stats_path, out.generated)
    plotting.use_style()
    figure = plot_lengths(results.read_json(stats_path), out.figures / f"{STEM}_lengths")
    return {"table": table, "macros": macro_file, "lengths": figure}
