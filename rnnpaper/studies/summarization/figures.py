"""The summarization study's figures, from its results files alone: ROUGE-L against source
length, attention heatmaps, validation loss per epoch."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from rnnpaper import results
from rnnpaper.models import registry
from rnnpaper.report import labels, plotting
from rnnpaper.studies.summarization.tables import seeds

BASELINE_COLOURS = ("#2ca02c", "#8c564b")


def _per_seed(results_dir: Path, dataset: str, cell: str) -> list[dict]:
    """The results of every seed of one cell (with copying) on one dataset."""
    return [
        results.read_json(p) for p in sorted(Path(results_dir).glob(f"{dataset}_{cell}_seed*.json"))
    ]


def length_curve(results_dir: Path, record: dict, dataset: str, n_bins: int = 5) -> pd.DataFrame:
    """Mean test ROUGE-L per source-length quintile: each cell (all seeds) and each baseline."""
    lengths = np.asarray(record["test_src_len"])
    edges = np.unique(np.quantile(lengths, np.linspace(0, 1, n_bins + 1)))
    bins = np.clip(np.searchsorted(edges, lengths, side="right") - 1, 0, len(edges) - 2)
    series = {
        f"baseline: {k}": [v["refs"]["rougeL_per_example"]] for k, v in record["baselines"].items()
    }
    for cell in registry.CELLS:
        runs = [
            r["beam"]["refs"]["rougeL_per_example"] for r in _per_seed(results_dir, dataset, cell)
        ]
        if runs:
            series[labels.cell_title(cell)] = runs
    rows = []
    for name, per_seed in series.items():
        for b in range(len(edges) - 1):
            sel = bins == b
            means = [float(np.mean(np.asarray(s)[sel])) for s in per_seed]
            rows.append(
                {
                    "model": name,
                    "bin": b,
                    "length": float(np.median(lengths[sel])),
                    "label": f"{int(edges[b])}-{int(edges[b + 1])}",
                    "rougeL": float(np.mean(means)),
                    "sd": float(np.std(means, ddof=1)) if len(means) > 1 else 0.0,
                }
            )
    return pd.DataFrame(rows)


def plot_length(results_dir: Path, records: dict):
    """ROUGE-L against source length, one panel per dataset."""
    fig, axes = plt.subplots(
        1, len(records), figsize=(plotting.width(1.0), 2.4), squeeze=False, layout="constrained"
    )
    colours = {labels.cell_title(c): labels.colour(c) for c in registry.CELLS}
    for ax, (ds, rec) in zip(axes[0], records.items(), strict=True):
        df = length_curve(results_dir, rec, ds)
        for j, (name, g) in enumerate(df.groupby("model", sort=False)):
            base = name.startswith("baseline")
            ax.errorbar(
                g["bin"],
                g["rougeL"],
                yerr=g["sd"],
                label=name,
                capsize=2,
                color=colours.get(name, BASELINE_COLOURS[j % 2]),
                ls=":" if base else "-",
                marker="o^sDv"[j % 5],
                ms=3,
            )
        ticks = df.drop_duplicates("bin")["label"]
        ax.set_xticks(range(len(ticks)), ticks)
        ax.set_xlabel("source length (tokens, test quintiles)")
        ax.set_ylabel("ROUGE-L F1")
        ax.set_title(labels.dataset(ds))
        handles, names = ax.get_legend_handles_labels()
        base = [i for i, n in enumerate(names) if n.startswith("baseline")]  # this panel's own
        ax.legend([handles[i] for i in base], [names[i] for i in base], frameon=False)
    cells = dict(zip(*axes[0][0].get_legend_handles_labels()[::-1], strict=True))
    cells = {n: h for n, h in cells.items() if not n.startswith("baseline")}
    fig.legend(cells.values(), cells.keys(), loc="outside upper center", ncol=3, frameon=False)
    return fig


def plot_attention(results_dir: Path, dataset: str = "gigaword"):
    """The attention weights a_tj of each cell (first seed) on the first test example."""
    seed = min(seeds(results_dir))
    exs = {
        c: results.read_json(p)["attention_example"]
        for c in registry.CELLS
        if (p := Path(results_dir) / f"{dataset}_{c}_seed{seed}.json").exists()
    }
    same = len({tuple(ex["source"]) for ex in exs.values()}) == 1  # one source: label it once
    fig, axes = plt.subplots(
        len(exs),
        1,
        figsize=(plotting.width(1.0), 1.1 * len(exs) + 0.8 * (1 if same else len(exs))),
        squeeze=False,
        sharex=same,
    )
    for ax, (cell, ex) in zip(axes[:, 0], exs.items(), strict=True):
        a = np.asarray(ex["attention"])  # (L, S)
        im = ax.imshow(a, aspect="auto", cmap="Greys", vmin=0, vmax=a.max())
        fig.colorbar(im, ax=ax, pad=0.01, fraction=0.03)
        ax.set_xticks(range(len(ex["source"])), ex["source"], rotation=90)
        ax.set_yticks(range(len(ex["output"])), ex["output"])
        ax.set_title(labels.cell_title(cell))
    fig.tight_layout()
    return fig


def plot_curves(results_dir: Path, records: dict):
    """Validation loss per epoch, mean over seeds, per cell and dataset."""
    fig, axes = plt.subplots(
        1, len(records), figsize=(plotting.width(1.0), 2.3), squeeze=False, layout="constrained"
    )
    for ax, ds in zip(axes[0], records, strict=True):
        for cell in registry.CELLS:
            hists = [r["train"]["history"] for r in _per_seed(results_dir, ds, cell)]
            if not hists:
                continue
            loss = np.mean([[h["val_loss"] for h in hist] for hist in hists], axis=0)  # (epochs,)
            ax.plot(
                range(1, len(loss) + 1),
                loss,
                marker="o",
                ms=3,
                color=labels.colour(cell),
                label=labels.cell_title(cell),
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation NLL per token")
        ax.set_title(labels.dataset(ds))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False)
    return fig
